package dev.jvision.models;

import java.util.Map;

/**
 * Public access to {@link SeededWeights}' rule for tests in other packages (the ONNX export
 * tests): fills every float parameter and buffer of a model with the rule's seeded values, so
 * that layer scales, BatchNorm statistics and biases are far from their trivial initial values
 * and every block contributes, and makes the rule's seeded images. Stateless and thread-safe;
 * returned arrays belong to the caller.
 */
public final class SeededModels {
    private SeededModels() {}

    /** Overwrites the weights of {@code model} by the seed rule, BatchNorm prefix -> k scaling running_var by 2^k. */
    public static void fill(ImageModel model, Map<String, Integer> bnVarLog2) {
        SeededWeights.fill(model, bnVarLog2);
    }

    /**
     * {@code n} (up to 8) seeded images of {@code size} pixels as a float NCHW batch normalised
     * with {@code spec}'s mean and std: the rule's two images, then their horizontal flips,
     * vertical flips and transposes.
     */
    public static float[] images(ModelSpec spec, int size, int n) {
        if (n < 1 || n > 4 * SeededWeights.IMAGES) {
            throw new IllegalArgumentException("n: " + n + " (expected: 1 to " + 4 * SeededWeights.IMAGES + ")");
        }
        int[][][][] q = SeededWeights.pixels(size);
        float[] out = new float[n * 3 * size * size];
        int i = 0;
        for (int k = 0; k < n; k++) {
            int[][][] img = q[k % SeededWeights.IMAGES];
            int variant = k / SeededWeights.IMAGES;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int v = switch (variant) {
                            case 0 -> img[c][y][x];
                            case 1 -> img[c][y][size - 1 - x];
                            case 2 -> img[c][size - 1 - y][x];
                            default -> img[c][x][y];
                        };
                        out[i++] = (float) ((v / 255.0 - spec.mean()[c]) / spec.std()[c]);
                    }
                }
            }
        }
        return out;
    }

    /** The same images as uint8 NHWC RGB (what a graph with preprocessing takes). */
    public static byte[] pixelsNhwc(int size, int n) {
        int[][][][] q = SeededWeights.pixels(size);
        byte[] out = new byte[n * size * size * 3];
        int i = 0;
        for (int k = 0; k < n; k++) {
            int[][][] img = q[k % SeededWeights.IMAGES];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    for (int c = 0; c < 3; c++) {
                        out[i++] = (byte) img[c][y][x];
                    }
                }
            }
        }
        return out;
    }
}
