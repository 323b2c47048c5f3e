package dev.jvision.cli;

import dev.jvision.detect.CropData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision crop-data}: a detection set's boxes as a classification set, for the two-stage pipeline's classifier. */
@Command(name = "crop-data", mixinStandardHelpOptions = true,
        description = {"Cut every box of a COCO instances file out of its image (with the two-stage pipeline's margin) "
                + "into jvision's classification layout: train.csv, train/, meta.csv (COCO category names) and, "
                + "with --test-coco, test/, sample_submission.csv, test_labels.csv. Crowd boxes and boxes under "
                + "--min-size pixels are skipped. COCO only.",
                "  jvision crop-data --coco data/det/annotations/instances_train.json --images data/det/images/train "
                        + "--test-coco data/det/annotations/instances_val.json --test-images data/det/images/val "
                        + "--out data/crops"})
final class CropDataCommand implements Callable<Integer> {
    @Option(names = "--coco", required = true, paramLabel = "GT.json", description = "COCO instances file of the train split")
    Path coco;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "folder of its images (file_name is relative to it)")
    Path images;

    @Option(names = "--test-coco", paramLabel = "GT.json", description = "COCO instances file of a test split (optional)")
    Path testCoco;

    @Option(names = "--test-images", paramLabel = "DIR", description = "folder of the test split's images")
    Path testImages;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--margin", defaultValue = "0.1",
            description = "crop margin, a fraction of the box's sides; use the pipeline's (default: ${DEFAULT-VALUE})")
    double margin;

    @Option(names = "--size", defaultValue = "0", paramLabel = "S",
            description = "resize crops to S x S pixels; 0 keeps their own size (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--min-size", defaultValue = "4", paramLabel = "PX",
            description = "skip boxes narrower or lower than this (default: ${DEFAULT-VALUE})")
    double minSize;

    @Override
    public Integer call() throws Exception {
        if ((testCoco == null) != (testImages == null)) {
            throw new IllegalArgumentException("--test-coco and --test-images: give both or neither");
        }
        long t0 = System.nanoTime();
        CropData.Summary s = CropData.crop(new CropData.Split(coco, images),
                testCoco == null ? null : new CropData.Split(testCoco, testImages), out, margin, size, minSize);
        System.out.printf("wrote %d train + %d test crops (%d classes; skipped %d crowd, %d under %s px) to %s in %.1f s%n",
                s.train(), s.test(), s.classes().size(), s.crowd(), s.tiny(), minSize, s.root(),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
