package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.augment.Tta;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EnsemblePredictor.Session}: chunk by chunk, the same numbers as predicting every row at once. */
class EnsembleSessionTest {
    @TempDir
    Path dir;

    @Test
    void chunks_equalTheWholeTable_bitForBit_keptLoadedOrReloaded() throws IOException {
        List<EnsembleMember> members = List.of(
                new EnsembleMember("a", List.of(ServingFixtures.checkpoint(dir.resolve("a0"), 1),
                        ServingFixtures.checkpoint(dir.resolve("a1"), 2)), 3.0, null, Optional.empty()),
                new EnsembleMember("b", List.of(ServingFixtures.checkpoint(dir.resolve("b0"), 3)), 1.0, null,
                        Optional.empty()));
        double[] temps = {1.3, 0.6};
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Path f = dir.resolve("img" + i + ".png");
            Files.write(f, ServingFixtures.encode(ServingFixtures.picture(10 + i, 30 + i, 36, BufferedImage.TYPE_3BYTE_BGR),
                    "png"));
            samples.add(new Sample(f.getFileName().toString(), i % 4, f, dir.resolve("test.csv"), i + 2));
        }
        ImageCache cache = new ImageCache(ServingFixtures.SIZE, null);
        EnsemblePredictor.Settings s = new EnsemblePredictor.Settings(2, 2, Tta.parse(List.of("identity", "vflip",
                "scale0.8"), 0), false);
        EnsemblePredictor.Predictions whole = EnsemblePredictor.predict(members, temps, samples, size -> cache, s,
                Device.CPU);

        for (long budget : new long[] {Long.MAX_VALUE, 0}) {
            float[][][] rows = new float[4][samples.size()][];
            try (EnsemblePredictor.Session session = EnsemblePredictor.open(members, temps, s, Device.CPU, budget)) {
                assertEquals(budget > 0, session.resident());
                assertEquals(4, session.numClasses());
                assertEquals(List.of(ServingFixtures.SIZE), session.imageSizes());
                assertEquals(0.75, session.members().get(0).normalisedWeight(), 1e-15);
                for (int from = 0; from < samples.size(); from += 4) { // chunks of 4 rows (2 batches), then 3
                    List<Sample> chunk = samples.subList(from, Math.min(samples.size(), from + 4));
                    EnsemblePredictor.Predictions p = session.predict(chunk, size -> cache);
                    for (int i = 0; i < chunk.size(); i++) {
                        rows[0][from + i] = p.plain()[i];
                        rows[1][from + i] = p.plainCalibrated()[i];
                        rows[2][from + i] = p.tta()[i];
                        rows[3][from + i] = p.ttaCalibrated()[i];
                    }
                }
                session.close();
                session.close();
                assertThrows(IllegalStateException.class, () -> session.predict(samples, size -> cache));
            }
            String mode = budget > 0 ? "kept loaded" : "reloaded per chunk";
            float[][][] expected = {whole.plain(), whole.plainCalibrated(), whole.tta(), whole.ttaCalibrated()};
            for (int v = 0; v < 4; v++) {
                for (int i = 0; i < samples.size(); i++) {
                    assertArrayEquals(expected[v][i], rows[v][i], 0f, mode + ", variant " + v + ", row " + i);
                }
            }
        }
        // the variants differ, so equal tables are no accident
        assertFalse(java.util.Arrays.equals(whole.plain()[0], whole.ttaCalibrated()[0]));
        assertTrue(whole.plain()[0][0] > 0);
    }

    @Test
    void open_membersWithOtherClassCounts_rejected() throws IOException {
        Path four = ServingFixtures.checkpoint(dir.resolve("x"), 1);
        Path other = dir.resolve("y/fold0/best.safetensors");
        Files.createDirectories(other.getParent());
        Files.copy(four, other);
        CheckpointInfo i = Checkpoint.readInfo(four);
        new CheckpointInfo(i.model(), 5, i.imgSize(), i.mean(), i.std(), i.fold(), i.epoch(), i.valF1(), i.valAcc(),
                i.valLoss(), List.of(), i.created()).write(CheckpointInfo.sidecarOf(other));
        var e = assertThrows(IllegalArgumentException.class, () -> EnsemblePredictor.open(
                EnsembleMember.ofCheckpoints(List.of(four, other)), new double[] {1, 1},
                new EnsemblePredictor.Settings(2, 1, List.of(Tta.identity()), false), Device.CPU));
        assertTrue(e.getMessage().contains("5 classes (expected: 4"), e.getMessage());
    }
}
