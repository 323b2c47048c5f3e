package dev.jvision.config;

/**
 * The {@code detect:} section: the data, augmentation and post-processing of a detection run
 * ({@code task: detection}); ignored by classification. The detector is {@code model.name}
 * ({@code det_tiny}, ...), its input side {@code data.img_size} (a multiple of 32; images are
 * letterboxed to it) and its classes {@code model.num_classes} (must equal the data's).
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param format {@code coco} (instances JSON: {@code <data.root>/annotations/instances_<split>.json}
 *     with images under {@code <data.root>/images/<split>}, what {@code jvision demo-data --kind
 *     detection} writes) or {@code yolo} (the YOLO folder layout {@code images/<split>},
 *     {@code labels/<split>}, {@code classes.txt}) (default {@code coco})
 * @param trainSplit training split name (default {@code train})
 * @param valSplit validation split name, scored every epoch (default {@code val})
 * @param testSplit split {@code jvision infer} predicts by default (default {@code test})
 * @param mosaic probability that a training image is a mosaic of four, in [0, 1] (default 1.0)
 * @param closeMosaic mosaic is off for the last this many epochs, &gt;= 0 (default 2)
 * @param scale random zoom in {@code [1 - scale, 1 + scale]}, in [0, 1) (default 0.5)
 * @param translate random shift up to this fraction of the side, in [0, 0.5] (default 0.1)
 * @param fliplr horizontal flip probability, in [0, 1] (default 0.5)
 * @param hsvH hue rotation up to this fraction of a turn, in [0, 0.5] (default 0.015)
 * @param hsvS saturation gain in {@code [1 - hsv_s, 1 + hsv_s]}, in [0, 1] (default 0.7)
 * @param hsvV brightness gain in {@code [1 - hsv_v, 1 + hsv_v]}, in [0, 1] (default 0.4)
 * @param minBoxSize boxes narrower or lower than this after augmentation are dropped, pixels, &gt;= 0 (default 2)
 * @param minAreaRatio boxes keeping less than this share of their area inside the image are dropped, in [0, 1] (default 0.1)
 * @param conf minimum score of a predicted box ({@code jvision infer}), in [0, 1) (default 0.25)
 * @param iou NMS IoU threshold, in (0, 1] (default 0.7)
 * @param maxDet boxes kept per image ({@code jvision infer}), &gt;= 1 (default 300)
 * @param valConf minimum score of a box scored for mAP (validation), in [0, 1) (default 0.001)
 * @param valMaxDet boxes per image scored for mAP (validation; COCO counts 100), &gt;= 1 (default 100)
 * @param regMax bins of each box side's distribution, &gt;= 2 (default 16)
 */
public record DetectConfig(String format, String trainSplit, String valSplit, String testSplit, double mosaic,
                           int closeMosaic, double scale, double translate, double fliplr, double hsvH, double hsvS,
                           double hsvV, double minBoxSize, double minAreaRatio, double conf, double iou,
                           int maxDet, double valConf, int valMaxDet, int regMax) {
    public DetectConfig {
        Checks.oneOf("format", format, "coco", "yolo");
        Checks.nonBlank("train_split", trainSplit);
        Checks.nonBlank("val_split", valSplit);
        Checks.nonBlank("test_split", testSplit);
        Checks.probability("mosaic", mosaic);
        Checks.atLeast("close_mosaic", closeMosaic, 0);
        Checks.halfOpen("scale", scale, 0.0, 1.0);
        Checks.closed("translate", translate, 0.0, 0.5);
        Checks.probability("fliplr", fliplr);
        Checks.closed("hsv_h", hsvH, 0.0, 0.5);
        Checks.probability("hsv_s", hsvS);
        Checks.probability("hsv_v", hsvV);
        Checks.nonNegative("min_box_size", minBoxSize);
        Checks.probability("min_area_ratio", minAreaRatio);
        Checks.halfOpen("conf", conf, 0.0, 1.0);
        if (!(iou > 0 && iou <= 1)) throw Checks.fail("iou", iou, "in (0, 1]");
        Checks.atLeast("max_det", maxDet, 1);
        Checks.halfOpen("val_conf", valConf, 0.0, 1.0);
        Checks.atLeast("val_max_det", valMaxDet, 1);
        Checks.atLeast("reg_max", regMax, 2);
    }

    /** @return the section with every field at its default */
    public static DetectConfig defaults() {
        return new DetectConfig("coco", "train", "val", "test", 1.0, 2, 0.5, 0.1, 0.5, 0.015, 0.7, 0.4, 2.0, 0.1, 0.25,
                0.7, 300, 0.001, 100, 16);
    }

    /** The training augmentation these settings describe (grey 114 padding). */
    public dev.jvision.augment.detect.BoxAugmentConfig augmentation() {
        return new dev.jvision.augment.detect.BoxAugmentConfig(mosaic, scale, translate, fliplr, hsvH, hsvS, hsvV,
                dev.jvision.augment.detect.Letterbox.DEFAULT_PAD, minBoxSize, minAreaRatio);
    }
}
