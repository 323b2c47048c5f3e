package dev.jvision.infer;

import dev.jvision.data.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Two-stage recognition: a {@link Detector} finds the objects of an image, each box is cropped with
 * a margin and a {@link Classifier} names the crop with its (calibrated, when the classifier run
 * has a temperature) top classes. For product photos: the detector says where the items are, the
 * classifier which of thousands of products each one is.
 *
 * <p>The crop is the box grown by {@code margin} times its width and height on every side,
 * clipped to the image; all crops of an image go to the classifier as one list (one batch).
 * Owns both stages and closes them. Thread-safe (both stages are).
 */
public final class Recognizer implements AutoCloseable {
    /**
     * One object: where the detector found it and what the classifier says it is. Immutable.
     *
     * @param box        the detector's box, score and class, in image pixels
     * @param prediction the classifier's top classes for the crop
     */
    public record Recognition(Detector.Box box, Prediction prediction) {}

    private final Detector detector;
    private final Classifier classifier;
    private final double margin;

    /**
     * @param detector   the first stage (owned from now on)
     * @param classifier the second stage (owned from now on)
     * @param margin     crop margin as a fraction of the box's side, in [0, 1]
     */
    public Recognizer(Detector detector, Classifier classifier, double margin) {
        if (!(margin >= 0 && margin <= 1)) {
            throw new IllegalArgumentException("margin: " + margin + " (expected: in [0, 1])");
        }
        this.detector = Objects.requireNonNull(detector, "detector");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.margin = margin;
    }

    /** A detection run and a classification run, crops with a 10% margin. */
    public static Recognizer fromRuns(Path detectorRun, Path classifierRun) throws IOException {
        Detector d = Detector.fromRun(detectorRun);
        try {
            return new Recognizer(d, Classifier.fromRun(classifierRun), 0.1);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** The objects of an image file, in the detector's order (best first). */
    public List<Recognition> recognize(Path image) throws IOException {
        return recognize(Images.decode(image));
    }

    /** The objects of an encoded image. @throws IllegalArgumentException when the bytes do not decode */
    public List<Recognition> recognize(byte[] encoded) {
        try {
            return recognize(Images.decode(encoded, "image bytes"));
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The objects of a decoded image. */
    public List<Recognition> recognize(BufferedImage image) {
        return recognize(Images.fromBufferedImage(image));
    }

    /**
     * The objects of an image decoded by {@link Images#decode}: the detector letterboxes it, each
     * box's crop is copied from its pixels and all crops are classified as one list.
     */
    public List<Recognition> recognize(Images.Rgb image) {
        List<Detector.Box> boxes = detector.detect(image);
        if (boxes.isEmpty()) {
            return List.of();
        }
        List<BufferedImage> crops = new ArrayList<>(boxes.size());
        for (Detector.Box b : boxes) {
            crops.add(crop(image, b, margin));
        }
        List<Prediction> named;
        try {
            named = classifier.predict(crops);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<Recognition> out = new ArrayList<>(boxes.size());
        for (int i = 0; i < boxes.size(); i++) {
            out.add(new Recognition(boxes.get(i), named.get(i)));
        }
        return out;
    }

    /** The detector (owned by this recognizer: do not close it). */
    public Detector detector() {
        return detector;
    }

    /** The classifier (owned by this recognizer: do not close it). */
    public Classifier classifier() {
        return classifier;
    }

    /** The crop margin, a fraction of the box's sides. */
    public double margin() {
        return margin;
    }

    /**
     * The pixels of the box grown by {@code margin} of its sides on every side, clipped to the
     * image, at least 1 x 1 pixel, as an RGB image of its own.
     */
    static BufferedImage crop(Images.Rgb img, Detector.Box b, double margin) {
        double mx = b.width() * margin;
        double my = b.height() * margin;
        int x1 = (int) Math.max(0, Math.floor(b.x1() - mx));
        int y1 = (int) Math.max(0, Math.floor(b.y1() - my));
        int x2 = (int) Math.min(img.w(), Math.ceil(b.x2() + mx));
        int y2 = (int) Math.min(img.h(), Math.ceil(b.y2() + my));
        x1 = Math.min(x1, img.w() - 1);
        y1 = Math.min(y1, img.h() - 1);
        int w = Math.max(1, x2 - x1);
        int h = Math.max(1, y2 - y1);
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] rgb = ((java.awt.image.DataBufferInt) bi.getRaster().getDataBuffer()).getData();
        byte[] p = img.pixels();
        for (int y = 0; y < h; y++) {
            int o = ((y1 + y) * img.w() + x1) * 3;
            for (int x = 0; x < w; x++, o += 3) {
                rgb[y * w + x] = ((p[o] & 255) << 16) | ((p[o + 1] & 255) << 8) | (p[o + 2] & 255);
            }
        }
        return bi;
    }

    @Override
    public void close() {
        try {
            detector.close();
        } finally {
            classifier.close();
        }
    }
}
