package dev.jvision.pipeline;

import dev.jvision.augment.Tta;
import dev.jvision.infer.EnsemblePredictor;
import dev.jvision.models.CheckpointInfo;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The content of {@code submission_info.json}: what produced a submission (members, their
 * checkpoints and temperatures, TTA views, calibration), its size and validation, and the
 * test-set scores of every variant when test labels exist. Stateless.
 */
final class SubmissionReport {
    private SubmissionReport() {}

    /**
     * Adds the chosen variant's test top-5 accuracy (top-min(5, classes)) as
     * {@code test_top5_accuracy}, right after {@code test_accuracy}.
     */
    static void putTop5(Map<String, Object> info, double top5) {
        Map<String, Object> copy = new LinkedHashMap<>(info);
        info.clear();
        for (Map.Entry<String, Object> e : copy.entrySet()) {
            info.put(e.getKey(), e.getValue());
            if (e.getKey().equals("test_accuracy")) {
                info.put("test_top5_accuracy", top5);
            }
        }
        info.putIfAbsent("test_top5_accuracy", top5);
    }

    /** The report as an ordered map, ready for JSON. */
    static Map<String, Object> info(Path outDir, EnsemblePredictor.Predictions preds, List<Tta.View> views,
                                    InferStage.Options opts, double[] temps, boolean calibrated, int rows, Path sample,
                                    int low, Optional<Double> f1, Optional<Double> acc,
                                    List<InferStage.VariantScore> variants) {
        Map<String, Object> info = header(outDir);
        List<Map<String, Object>> ms = new ArrayList<>();
        for (EnsemblePredictor.MemberReport r : preds.members()) {
            Map<String, Object> e = memberHead(r);
            e.put("weight", r.member().weight());
            e.put("normalised_weight", r.normalisedWeight());
            e.put("temperature", r.temperature());
            List<Map<String, Object>> cks = new ArrayList<>();
            for (int i = 0; i < r.checkpoints().size(); i++) {
                CheckpointInfo ci = r.checkpoints().get(i);
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("checkpoint", r.member().checkpoints().get(i).toString());
                c.put("model", ci.model());
                c.put("img_size", ci.imgSize());
                c.put("fold", ci.fold());
                c.put("epoch", ci.epoch());
                c.put("val_f1", ci.valF1());
                c.put("val_acc", ci.valAcc());
                c.put("val_loss", ci.valLoss());
                cks.add(c);
            }
            e.put("checkpoints", cks);
            ms.add(e);
        }
        info.put("members", ms);
        info.put("ensemble", "weighted mean of probabilities (checkpoints of a member equally weighted)");
        putTtaCalibration(info, views, opts, temps, calibrated);
        info.put("rows", rows);
        info.put("validated_against", sample.toAbsolutePath().toString());
        putLowConfidence(info, opts, low);
        f1.ifPresent(v -> info.put("test_macro_f1", v));
        acc.ifPresent(v -> info.put("test_accuracy", v));
        if (!variants.isEmpty()) {
            List<Map<String, Object>> vs = new ArrayList<>();
            for (InferStage.VariantScore v : variants) {
                vs.add(v.toJson(false));
            }
            info.put("test_variants", vs);
        }
        return info;
    }

    /** A new ordered map with {@code created} (now) and {@code out} (absolute), the head of both info files. */
    static Map<String, Object> header(Path outDir) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("created", Instant.now().toString());
        info.put("out", outDir.toAbsolutePath().toString());
        return info;
    }

    /** A new ordered map with a member's {@code name} and, when it has one, its {@code run} folder. */
    static Map<String, Object> memberHead(EnsemblePredictor.MemberReport r) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", r.member().name());
        if (r.member().runDir() != null) {
            e.put("run", r.member().runDir().toAbsolutePath().toString());
        }
        return e;
    }

    /** Adds {@code tta} (view names, or {@code [identity]} without TTA) and {@code calibration}. */
    static void putTtaCalibration(Map<String, Object> info, List<Tta.View> views, InferStage.Options opts,
                                  double[] temps, boolean calibrated) {
        info.put("tta", opts.tta() ? views.stream().map(Tta.View::name).toList() : List.of("identity"));
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("applied", calibrated);
        cal.put("temperatures", temps);
        info.put("calibration", cal);
    }

    /** Adds {@code confidence_threshold} and {@code low_confidence} when a threshold is set. */
    static void putLowConfidence(Map<String, Object> info, InferStage.Options opts, int low) {
        if (opts.confidenceThreshold() > 0) {
            info.put("confidence_threshold", opts.confidenceThreshold());
            info.put("low_confidence", low);
        }
    }
}
