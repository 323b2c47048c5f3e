package dev.jvision.cli;

import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.metrics.detection.CocoEvalResult;
import dev.jvision.metrics.detection.CocoEvaluator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision detect-eval}: COCO box mAP of a results file against COCO ground truth, as pycocotools computes it. */
@Command(name = "detect-eval", mixinStandardHelpOptions = true,
        description = {"COCO box evaluation (AP@[.50:.95], AP50, AP75, APs/m/l, AR1/10/100, ARs/m/l) of a results "
                + "file against a COCO instances file, equal to pycocotools' COCOeval; prints its 12-line summary."})
final class DetectEvalCommand implements Callable<Integer> {
    @Option(names = "--gt", required = true, paramLabel = "GT.json", description = "COCO instances (ground truth)")
    Path gt;

    @Option(names = "--detections", required = true, paramLabel = "DT.json",
            description = "COCO results: [{image_id, category_id, bbox: [x, y, w, h], score}, ...]")
    Path detections;

    @Option(names = "--json", paramLabel = "OUT.json",
            description = "also write {AP, AP50, ..., ARl, per_class: {category_id: AP}} here")
    Path json;

    @Option(names = "--per-class", description = "also print the AP of each category")
    boolean perClass;

    @Override
    public Integer call() throws Exception {
        CocoInstances g = CocoInstances.read(gt);
        CocoEvalResult r = CocoEvaluator.evaluate(g, CocoResults.read(detections));
        System.out.print(r.summary());
        if (perClass) {
            java.util.Map<Long, String> names = new java.util.HashMap<>();
            g.categories().forEach(c -> names.put(c.id(), c.name()));
            r.perClassAp().forEach((id, ap) -> System.out.printf("  AP %-24s (id %d) = %s%n", names.get(id), id,
                    ap < 0 ? "-1 (no ground truth)" : String.format("%.4f", ap)));
        }
        if (json != null) {
            r.writeJson(json);
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
