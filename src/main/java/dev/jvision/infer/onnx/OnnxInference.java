package dev.jvision.infer.onnx;

import dev.jvision.data.Images;
import dev.jvision.infer.FolderInference;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs an exported model ({@link OnnxModel}) over images: a folder written as CSV (the
 * {@code jvision infer --onnx} path), single images, and a latency measurement. Images are
 * decoded and resized to the model's input size as jvision's own inference does
 * ({@link Images#loadResized}); a graph without preprocessing gets them normalised here with the
 * mean and std of its metadata, a graph with preprocessing gets the uint8 pixels. Stateless and
 * thread-safe (the model is).
 */
public final class OnnxInference {
    private static final int MAX_BATCH = 16;

    private OnnxInference() {}

    /**
     * What a folder run wrote.
     *
     * @param images  images written
     * @param outputs which output the CSV holds: {@code logits}, or {@code probabilities} for an ensemble
     */
    public record FolderResult(int images, String outputs) {}

    /**
     * Writes {@code image,c0,...,c{N-1}} for every image of {@code imagesDir} (sorted by name) to
     * {@code outCsv}, atomically: logits for a single-model export, probabilities for an ensemble.
     *
     * @throws IOException for a missing folder or an unreadable image (named), or a failed write
     */
    public static FolderResult writeFolder(OnnxModel model, Path imagesDir, Path outCsv) throws IOException {
        List<Path> images = FolderInference.listImages(imagesDir);
        boolean logits = model.metadata().getOrDefault("jvision.outputs", "logits,probabilities").contains("logits");
        List<float[]> rows = new ArrayList<>();
        for (int from = 0; from < images.size(); from += MAX_BATCH) {
            List<Path> batch = images.subList(from, Math.min(images.size(), from + MAX_BATCH));
            List<byte[]> px = new ArrayList<>();
            for (Path p : batch) {
                px.add(Images.loadResized(p, model.imgSize()));
            }
            rows.addAll(Arrays.asList(run(model, px, logits)));
        }
        AtomicFiles.writeText(outCsv, w -> {
            w.write("image");
            for (int c = 0; c < model.numClasses(); c++) {
                w.write(",c" + c);
            }
            w.write('\n');
            for (int i = 0; i < rows.size(); i++) {
                String n = images.get(i).getFileName().toString();
                w.write(n.contains(",") || n.contains("\"") ? '"' + n.replace("\"", "\"\"") + '"' : n);
                for (float v : rows.get(i)) {
                    w.write(',');
                    w.write(Float.toString(v));
                }
                w.write('\n');
            }
        });
        return new FolderResult(images.size(), logits ? "logits" : "probabilities");
    }

    /** Logits (or probabilities when {@code logits} is false) of HWC uint8 images of the model's size. */
    public static float[][] run(OnnxModel model, List<byte[]> pixels, boolean logits) {
        int n = pixels.size();
        int s = model.imgSize();
        int plane = s * s * 3;
        byte[] all = new byte[n * plane];
        for (int i = 0; i < n; i++) {
            if (pixels.get(i).length != plane) {
                throw new IllegalArgumentException("image " + i + ": " + pixels.get(i).length + " bytes (expected: " + plane
                        + " for " + s + "x" + s + " RGB)");
            }
            System.arraycopy(pixels.get(i), 0, all, i * plane, plane);
        }
        if (model.takesPixels()) {
            return logits ? model.logitsOfPixels(all, n) : model.probabilitiesOfPixels(all, n);
        }
        float[] x = normalise(all, n, s, model.normalisation());
        return logits ? model.logits(x, n) : model.probabilities(x, n);
    }

    /** HWC uint8 images to a normalised float NCHW batch: {@code (v / 255 - mean) / std}. */
    static float[] normalise(byte[] nhwc, int n, int s, double[][] meanStd) {
        float[] out = new float[n * 3 * s * s];
        int hw = s * s;
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < hw; p++) {
                for (int c = 0; c < 3; c++) {
                    int v = nhwc[(i * hw + p) * 3 + c] & 0xFF;
                    out[(i * 3 + c) * hw + p] = (float) ((v / 255.0 - meanStd[0][c]) / meanStd[1][c]);
                }
            }
        }
        return out;
    }

    /**
     * Latency of {@code iterations} calls on a batch of {@code batch} constant images after
     * {@code warmup} untimed calls: {p50, p99, mean} in milliseconds.
     */
    public static double[] latencyMs(OnnxModel model, int batch, int warmup, int iterations) {
        if (batch < 1 || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("batch/iterations/warmup: " + batch + "/" + iterations + "/" + warmup
                    + " (expected: >= 1, >= 1, >= 0)");
        }
        int s = model.imgSize();
        float[] x = model.takesPixels() ? null : new float[batch * 3 * s * s];
        byte[] px = model.takesPixels() ? new byte[batch * s * s * 3] : null;
        double[] t = new double[iterations];
        for (int i = -warmup; i < iterations; i++) {
            long t0 = System.nanoTime();
            if (px != null) {
                model.probabilitiesOfPixels(px, batch);
            } else {
                model.probabilities(x, batch);
            }
            if (i >= 0) {
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        double mean = Arrays.stream(t).average().orElse(0);
        Arrays.sort(t);
        return new double[] {t[(int) Math.round(0.50 * (iterations - 1))], t[(int) Math.round(0.99 * (iterations - 1))], mean};
    }
}
