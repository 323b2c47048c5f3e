package dev.jvision.infer.onnx;

import dev.jvision.augment.detect.Letterbox;
import dev.jvision.config.Experiment;
import dev.jvision.data.Images;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.data.detection.DetectionBox;
import dev.jvision.detect.DetectionImages;
import dev.jvision.detect.DetectionInference;
import dev.jvision.detect.DetectionInference.Input;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.Detections;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jvision infer --onnx DETECTOR.onnx}: the ONNX counterpart of
 * {@code detect.DetectionInference} ({@code infer --run} of a detection run). Images of a folder
 * (ids 1, 2, ... in file-name order, listed in {@code images.txt}) or of a config's
 * {@code detect.test_split} (their COCO ids) are letterboxed as the libtorch detector does,
 * run through ONNX Runtime, decoded with jvision's NMS ({@link OnnxDetector#detect}), mapped back
 * to each image's pixels, and written as the COCO results JSON {@code detections.json}
 * (atomically) with the export's category ids. Stateless and thread-safe.
 */
public final class OnnxDetection {
    private OnnxDetection() {}

    /** What was written: the JSON, the images predicted, the boxes written. */
    public record Result(Path detections, int images, int boxes) {}


    /**
     * Predicts {@code images} (a folder), or when null the {@code detect.test_split} of
     * {@code exp}, and writes {@code out/detections.json}.
     *
     * @param exp       the data settings for the test split (may be null with a folder)
     * @param batchSize images per ONNX Runtime call, &gt;= 1
     * @param options   confidence, IoU and detections per image
     */
    public static Result run(OnnxDetector model, Experiment exp, Path images, Path out, int batchSize,
                             DetectionDecoder.Options options) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size: " + batchSize + " (expected: >= 1)");
        }
        if (images == null && exp == null) {
            throw new IllegalArgumentException("infer --onnx " + model.file() + ": choose the images: --images DIR, or "
                    + "-c CONFIG for its detect.test_split");
        }
        List<Input> inputs = images != null ? DetectionInference.folder(images, out) : split(exp);
        int size = model.imgSize();
        long[] cats = model.categoryIds();
        List<CocoResults.Entry> entries = new ArrayList<>();
        for (int from = 0; from < inputs.size(); from += batchSize) {
            List<Input> chunk = inputs.subList(from, Math.min(inputs.size(), from + batchSize));
            int plane = size * size * 3;
            byte[] pixels = new byte[chunk.size() * plane];
            List<Letterbox.Placement> places = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                Images.Rgb rgb = Images.decode(chunk.get(i).file());
                System.arraycopy(DetectionImages.letterbox(rgb, size), 0, pixels, i * plane, plane);
                places.add(DetectionImages.plan(rgb.w(), rgb.h(), size));
            }
            List<List<Detections.Box>> found = model.detect(pixels, chunk.size(), options);
            for (int i = 0; i < chunk.size(); i++) {
                List<DetectionBox> mapped = new ArrayList<>();
                for (Detections.Box b : found.get(i)) {
                    float[] o = places.get(i).toOriginal(new float[] {b.x1(), b.y1(), b.x2(), b.y2()});
                    mapped.add(new DetectionBox(b.classId(), b.score(), o[0], o[1], o[2], o[3]));
                }
                entries.addAll(CocoResults.entries(chunk.get(i).id(), mapped, cats));
            }
        }
        Path json = out.resolve("detections.json");
        CocoResults.write(json, entries);
        return new Result(json, inputs.size(), entries.size());
    }

    private static List<Input> split(Experiment exp) throws IOException {
        if (!exp.isDetection()) {
            throw new IllegalArgumentException("infer --onnx: the config's task is " + exp.task()
                    + " (expected: task: detection for a detector export)");
        }
        return DetectionInference.split(exp);
    }
}
