package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.track.OofLogits;
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
        assertEquals(f.nllAfter(), ProbabilityMetrics.nll((float[][]) d[0], (int[]) d[1], f.temperature()), 1e-12);
    }

    @Test
    void fit_underConfidentModel_findsTemperatureBelowOne() {
        Object[] d = synthetic(0.5, 20000, 4, 12);
        TemperatureScaling.Fit f = TemperatureScaling.fit((float[][]) d[0], (int[]) d[1]);
        assertEquals(0.5, f.temperature(), 0.5 * 0.05, "fitted " + f.temperature());
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

    @Test
    void forRun_withoutWriting_leavesTheRunFolderAlone() throws IOException {
        Object[] d = synthetic(2.0, 500, 3, 14);
        float[][] l = (float[][]) d[0];
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < l.length; i++) {
            ids.add("img" + i + ".jpg");
        }
        new OofLogits(ids, new int[l.length], (int[]) d[1], l).write(dir.resolve(OofLogits.FILE));
        var fit = TemperatureScaling.forRun(dir, false).orElseThrow();
        assertTrue(fit.temperature() > 1, fit.toString());
        assertTrue(Files.notExists(dir.resolve(TemperatureScaling.FILE)));
    }
}
