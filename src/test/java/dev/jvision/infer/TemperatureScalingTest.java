package dev.jvision.infer;

import dev.jvision.train.OofLogits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemperatureScalingTest {
    @TempDir
    Path dir;

    /** Labels drawn from softmax(z); the model reports 2.5 z (over-confident by T = 2.5). */
    private static Object[] synthetic(double trueT, int n, int c, long seed) {
        Random r = new Random(seed);
        float[][] logits = new float[n][c];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double[] z = new double[c];
            double sum = 0;
            for (int k = 0; k < c; k++) {
                z[k] = r.nextGaussian() * 1.5;
                sum += Math.exp(z[k]);
            }
            double u = r.nextDouble() * sum;
            int label = c - 1;
            for (int k = 0; k < c; k++) {
                u -= Math.exp(z[k]);
                if (u <= 0) {
                    label = k;
                    break;
                }
            }
            y[i] = label;
            for (int k = 0; k < c; k++) {
                logits[i][k] = (float) (z[k] * trueT);
            }
        }
        return new Object[] {logits, y};
    }

    @Test
    void fit_recoversKnownTemperature_andLowersNllAndEce() {
        Object[] d = synthetic(2.5, 20000, 5, 11);
        TemperatureScaling.Fit f = TemperatureScaling.fit((float[][]) d[0], (int[]) d[1]);
        assertEquals(2.5, f.temperature(), 2.5 * 0.05, "fitted " + f.temperature());
        assertTrue(f.nllAfter() < f.nllBefore() - 0.05, f.toString());
        assertTrue(f.eceAfter() < f.eceBefore(), f.toString());
        assertEquals(f.nllAfter(), TemperatureScaling.nll((float[][]) d[0], (int[]) d[1], f.temperature()), 1e-12);
    }

    @Test
    void fit_underConfidentModel_findsTemperatureBelowOne() {
        Object[] d = synthetic(0.5, 20000, 4, 12);
        TemperatureScaling.Fit f = TemperatureScaling.fit((float[][]) d[0], (int[]) d[1]);
        assertEquals(0.5, f.temperature(), 0.5 * 0.05, "fitted " + f.temperature());
    }

    @Test
    void ece_handExample() {
        // confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.3 (right) in 15 bins:
        // bin (0.8667,0.9333]: acc 0.5, conf 0.9 -> 2/4 * 0.4 = 0.2
        // bin (0.6, 0.6667]? 0.6 falls in (0.5333, 0.6]: acc 1, conf 0.6 -> 1/4 * 0.4 = 0.1
        // bin (0.2667, 0.3333]: acc 1, conf 0.3 (top of three 0.3/0.3/0.4? no: use 2 classes) -> see below
        float[][] p = {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.4f, 0.6f}, {0.3f, 0.7f}};
        int[] y = {0, 1, 1, 0};
        // last row: top 0.7 (class 1), wrong: bin (0.6667, 0.7333]: acc 0, conf 0.7 -> 1/4 * 0.7 = 0.175
        assertEquals(0.2 + 0.1 + 0.175, TemperatureScaling.ece(p, y, 15), 1e-6);
        assertEquals(0.0, TemperatureScaling.ece(new float[][] {{1f, 0f}}, new int[] {0}, 15), 1e-9);
    }

    @Test
    void nll_atTemperatureOne_matchesProbabilityNll() {
        float[][] l = {{2f, 0f, -1f}, {0.5f, 0.2f, 3f}};
        int[] y = {0, 1};
        assertEquals(TemperatureScaling.nllOfProbs(TemperatureScaling.softmax(l, 1.0), y),
                TemperatureScaling.nll(l, y, 1.0), 1e-6);
    }

    @Test
    void forRun_fitsFromOofFile_writesCalibration_thenReusesIt() throws IOException {
        Object[] d = synthetic(2.0, 3000, 3, 13);
        float[][] l = (float[][]) d[0];
        int[] y = (int[]) d[1];
        java.util.List<String> ids = new java.util.ArrayList<>();
        int[] folds = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            ids.add("img" + i + ".jpg");
            folds[i] = i % 2;
        }
        new OofLogits(ids, folds, y, l).write(dir.resolve(OofLogits.FILE));
        OofLogits back = OofLogits.read(dir.resolve(OofLogits.FILE));
        assertEquals(l[7][2], back.logits()[7][2]);
        assertEquals(ids, back.ids());
        var fit = TemperatureScaling.forRun(dir).orElseThrow();
        assertTrue(Files.isRegularFile(dir.resolve(TemperatureScaling.FILE)));
        assertEquals(2.0, fit.temperature(), 0.2);
        Files.delete(dir.resolve(OofLogits.FILE));
        assertEquals(fit.temperature(), TemperatureScaling.forRun(dir).orElseThrow().temperature(), 1e-12);
        assertTrue(TemperatureScaling.forRun(dir.resolve("none")).isEmpty());
    }
}
