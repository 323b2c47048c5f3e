package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnsembleTest {
    @TempDir
    Path dir;

    @Test
    void weightedMean_normalisesWeights() {
        float[][] a = {{1f, 0f}, {0.5f, 0.5f}};
        float[][] b = {{0f, 1f}, {0.1f, 0.9f}};
        float[][] m = Ensemble.weightedMean(List.of(a, b), new double[] {3, 1});
        assertEquals(0.75f, m[0][0], 1e-6);
        assertEquals(0.25f, m[0][1], 1e-6);
        assertEquals(0.75 * 0.5 + 0.25 * 0.1, m[1][0], 1e-6);
        assertEquals(1.0, m[1][0] + m[1][1], 1e-6);
        // scaling all weights changes nothing; equal weights = plain mean
        float[][] m2 = Ensemble.weightedMean(List.of(a, b), new double[] {30, 10});
        assertEquals(m[1][1], m2[1][1], 1e-7);
        assertEquals(0.3f, Ensemble.mean(List.of(a, b))[1][0], 1e-6);
    }

    @Test
    void weightedMean_isPermutationInvariant() {
        float[][] a = {{0.2f, 0.8f}};
        float[][] b = {{0.6f, 0.4f}};
        float[][] c = {{0.9f, 0.1f}};
        float[][] x = Ensemble.weightedMean(List.of(a, b, c), new double[] {1, 2, 3});
        float[][] y = Ensemble.weightedMean(List.of(c, a, b), new double[] {3, 1, 2});
        assertEquals(x[0][0], y[0][0], 1e-7);
    }

    @Test
    void weights_mustBePositive_andMatchMembers() {
        var e = assertThrows(IllegalArgumentException.class, () -> Ensemble.normalise(new double[] {1, 0}));
        assertTrue(e.getMessage().contains("member 1 weight: 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Ensemble.weightedMean(List.<float[][]>of(new float[][] {{1f}}), new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> Ensemble.weightedMean(List.of(new float[][] {{1f}}, new float[][] {{1f}, {1f}}), new double[] {1, 1}));
    }

    @Test
    void ensembleFile_readsRunsAndCheckpointsRelativeToItself() throws IOException {
        Path run = Files.createDirectories(dir.resolve("runs/a/fold0"));
        Files.writeString(run.resolve("best.safetensors"), "");
        Files.createDirectories(dir.resolve("runs/a/fold1"));
        Files.writeString(dir.resolve("runs/a/fold1/best.safetensors"), "");
        Path ck = Files.createDirectories(dir.resolve("other")).resolve("m.safetensors");
        Files.writeString(ck, "");
        Path yaml = dir.resolve("members.yaml");
        Files.writeString(yaml, """
                members:
                  - run: runs/a
                    weight: 2
                  - checkpoint: other/m.safetensors
                    temperature: 1.5
                    name: extra
                """);
        List<EnsembleMember> m = EnsembleFile.read(yaml);
        assertEquals(2, m.size());
        assertEquals(2, m.get(0).checkpoints().size());
        assertEquals(2.0, m.get(0).weight());
        assertEquals(dir.resolve("runs/a").toAbsolutePath().normalize(), m.get(0).runDir());
        assertEquals("extra", m.get(1).name());
        assertEquals(1.0, m.get(1).weight());
        assertEquals(1.5, m.get(1).temperature().orElseThrow());
    }

    @Test
    void ensembleFile_errorsNameFileMemberAndKey() throws IOException {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "members:\n  - checkpoint: x.safetensors\n    wieght: 2\n");
        var e = assertThrows(IllegalArgumentException.class, () -> EnsembleFile.read(yaml));
        assertTrue(e.getMessage().contains("bad.yaml members[0]") && e.getMessage().contains("'wieght'"), e.getMessage());
        Files.writeString(yaml, "members:\n  - checkpoint: missing.safetensors\n");
        e = assertThrows(IllegalArgumentException.class, () -> EnsembleFile.read(yaml));
        assertTrue(e.getMessage().contains("members[0]") && e.getMessage().contains("not found"), e.getMessage());
        Files.writeString(yaml, "members:\n  - checkpoint: a\n    run: b\n");
        e = assertThrows(IllegalArgumentException.class, () -> EnsembleFile.read(yaml));
        assertTrue(e.getMessage().contains("exactly one of run"), e.getMessage());
        Files.writeString(yaml, "members:\n  - checkpoint: a\n    weight: -1\n");
        e = assertThrows(IllegalArgumentException.class, () -> EnsembleFile.read(yaml));
        assertTrue(e.getMessage().contains("weight: -1"), e.getMessage());
    }
}
