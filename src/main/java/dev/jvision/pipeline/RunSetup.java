package dev.jvision.pipeline;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.CrossValidation;
import dev.jvision.train.RunContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every stage starts with: the process-wide runtime settings of an experiment, and the
 * training images of the stages that only predict (training itself starts from a
 * {@link RunContext}). Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class RunSetup {
    private static final Logger LOG = LoggerFactory.getLogger(RunSetup.class);

    private RunSetup() {}

    /** Applies the experiment's runtime settings (natives, threads, seed, determinism) and returns the device. */
    public static Device apply(Experiment exp) {
        NativeRuntime.init();
        int threads = TorchSettings.setThreads(exp.experiment().threads());
        TorchSettings.seed(exp.experiment().seed());
        TorchSettings.deterministic(exp.experiment().deterministic());
        Device device = Device.parse(exp.experiment().device());
        dev.jvision.data.BatchLoader.setDefaultWorkers(exp.data().loader().workers());
        LOG.info("jvision: device {}, {} torch threads, seed {}, deterministic {}", device, threads,
                exp.experiment().seed(), exp.experiment().deterministic());
        return device;
    }

    /** The experiment's image cache folder ({@code data.cache_dir}), or null for memory only. */
    static Path cacheDir(Experiment exp) {
        return exp.data().cache().dir() == null ? null : exp.data().cache().dir();
    }

    /** The image cache for {@code images} images at {@code size} px ({@link RunContext#cache(Experiment, int, int)}). */
    static ImageCache cache(Experiment exp, int size, int images) {
        return RunContext.cache(exp, size, images);
    }

    /** The labelled training rows whose images decode ({@link RunContext#trainRows}). */
    static List<Sample> trainSamples(CompetitionData data, ImageCache cache, Experiment exp) {
        return RunContext.trainRows(data, cache, exp);
    }

    /** The fixed validation rows whose images decode, when the data has them ({@link RunContext#validationRows}). */
    static Optional<List<Sample>> validationSamples(CompetitionData data, ImageCache cache, Experiment exp) {
        return Optional.ofNullable(RunContext.validationRows(data, cache, exp));
    }

    /**
     * Whether {@code exp} trains one hold-out model rather than K folds: its data are image
     * manifests with validation rows (reads the train manifest when it has no val_manifest).
     */
    static boolean holdout(Experiment exp) throws IOException {
        if (exp.data().manifests().train() == null) {
            return false;
        }
        return exp.data().manifests().val() != null || data(exp).validation().isPresent();
    }

    /** The folds a run of {@code exp} trains: {@code [0]} for a hold-out fit, else {@code train.folds}. */
    static List<Integer> folds(Experiment exp) throws IOException {
        return holdout(exp) ? List.of(CrossValidation.HOLDOUT_FOLD) : CrossValidation.selectedFolds(exp);
    }

    static String f4(double v) {
        return String.format("%.4f", v);
    }

    /** Opens the competition data of {@code exp} (generating the demo data when configured). */
    static CompetitionData data(Experiment exp) throws IOException {
        return CompetitionData.open(exp.data(), exp.experiment().seed());
    }
}
