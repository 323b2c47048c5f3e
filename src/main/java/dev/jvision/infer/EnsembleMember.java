package dev.jvision.infer;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One member of an ensemble: a run folder (its fold checkpoints, averaged with equal weight)
 * or one checkpoint, with its weight in the ensemble and an optional fixed temperature.
 * Immutable and thread-safe.
 *
 * @param name        shown in logs and submission_info.json
 * @param checkpoints the {@code .safetensors} files (each with its {@code .json} sidecar)
 * @param weight      relative weight, &gt; 0 (normalised over the ensemble)
 * @param runDir      the run folder for a run member (where calibration.json / oof_logits.csv live), or null
 * @param temperature a temperature fixed in the ensemble file, or empty (use the run's calibration)
 */
public record EnsembleMember(String name, List<Path> checkpoints, double weight, Path runDir, Optional<Double> temperature) {
    public EnsembleMember {
        checkpoints = List.copyOf(checkpoints);
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("member '" + name + "': no checkpoints");
        }
        if (!(weight > 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("member '" + name + "' weight: " + weight + " (expected: a finite number > 0)");
        }
        temperature.ifPresent(t -> {
            if (!(t > 0) || !Double.isFinite(t)) {
                throw new IllegalArgumentException("member '" + name + "' temperature: " + t + " (expected: a number > 0)");
            }
        });
    }

    /** A run folder: all its {@code fold*}/best.safetensors. */
    public static EnsembleMember ofRun(Path runDir, double weight) throws java.io.IOException {
        return new EnsembleMember(runDir.getFileName().toString(), Predictor.runCheckpoints(runDir), weight, runDir,
                Optional.empty());
    }

    /** Single checkpoints, each its own member of weight 1. */
    public static List<EnsembleMember> ofCheckpoints(List<Path> files) {
        return files.stream().map(f -> new EnsembleMember(f.toString(), List.of(f), 1.0, null, Optional.<Double>empty()))
                .toList();
    }
}
