package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.cli.Main;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.models.SafeTensors;
import dev.jvision.runtime.ChildJvm;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision train --nproc-per-node 2} on a detection config (2 local ranks, Gloo on loopback,
 * SyncBatchNorm, 4 images per rank) against one process with 8 images per step: both finish 2
 * epochs of 2 steps, the 2-rank job writes one run folder (rank 0's metrics.csv, checkpoints
 * with the same keys as the single process's). The weight difference after the 4 AdamW steps is
 * printed, not asserted: it is NOT within a float-rounding tolerance yet (0.1 on the weights in
 * the run of 2026-12-08, see docs/detection.md), an open defect. Box augmentation is off: mosaic
 * pairs images within a rank's batch and the augmentation seed is per rank.
 */
class DetectionDataParallelTest {
    @TempDir
    Path tmp;

    private Path config(Path data) throws IOException {
        String yaml = """
                task: detection
                experiment: {name: dp, seed: 5, output_dir: '%s', threads: 1, deterministic: true, device: cpu,
                             distributed: {sync_bn: true}}
                data: {root: '%s', img_size: 64, prefetch: 1}
                model: {name: det_tiny, num_classes: 2}
                detect: {mosaic: 0, close_mosaic: 0, scale: 0, translate: 0, fliplr: 0, hsv_h: 0, hsv_s: 0, hsv_v: 0,
                         val_max_det: 20}
                train: {epochs: 2, batch_size: 4, lr: 2.0e-3, warmup_epochs: 0.5, ema: true, ema_decay: 0.9, n_folds: 1,
                        tensorboard: false}
                infer: {batch_size: 4}
                """.formatted(tmp.resolve("runs"), data);
        Path f = tmp.resolve("dp.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private Path train(String name, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of("--set", "experiment.output_dir=" + tmp.resolve("runs-" + name)));
        Path log = tmp.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx384m", "-Djvision.progress=false"), Main.class,
                all.toArray(new String[0]))).redirectErrorStream(true).redirectOutput(log.toFile());
        for (String k : List.of("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")) {
            pb.environment().remove(k);
        }
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        Process p = pb.start();
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), name + " timed out");
        assertEquals(0, p.exitValue(), Files.readString(log));
        try (var s = Files.list(tmp.resolve("runs-" + name))) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), "one run folder, written by rank 0: " + runs);
            return runs.get(0);
        }
    }

    private static double maxDiff(float[] u, float[] v) {
        double m = 0;
        for (int i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i] - v[i]));
        return m;
    }

    @Test
    void twoRanksOfFour_trainOneRunFolder_besideOneProcessOfEight() throws Exception {
        Path data = tmp.resolve("data");
        DetectionDemoData.generate(data, 16, 4, 2, 2, 64, 17, 1);
        Path cfg = config(data);
        Path one = train("one", "train", "--config", cfg.toString(), "--set", "train.batch_size=8");
        Path two = train("two", "train", "--config", cfg.toString(), "--nproc-per-node", "2");
        String log = Files.readString(tmp.resolve("two.log"));
        assertTrue(log.contains("rank 1 of 2") && log.contains("SyncBatchNorm"), log);

        List<String> a = Files.readAllLines(one.resolve("metrics.csv"));
        List<String> b = Files.readAllLines(two.resolve("metrics.csv"));
        assertEquals(3, a.size(), "header and 2 epochs: " + a);
        assertEquals(a.size(), b.size(), "rank 0 alone writes metrics.csv: " + b);
        for (int i = 1; i < a.size(); i++) {
            String[] x = a.get(i).split(",");
            String[] y = b.get(i).split(",");
            for (int c = 3; c <= 5; c++) {   // val_map50, val_map50_95, val_map75 (train_loss is rank 0's batches only)
                assertEquals(Double.parseDouble(x[c]), Double.parseDouble(y[c]), 2e-3 * Math.max(1, Math.abs(
                        Double.parseDouble(x[c]))), "epoch " + i + " column " + c + ": " + a.get(i) + " vs " + b.get(i));
            }
        }

        double max = 0;
        String worst = null;
        long values = 0;
        Map<String, Double> keyMax = new java.util.TreeMap<>();
        try (SafeTensors.Contents x = SafeTensors.read(one.resolve("fold0/last.safetensors"));
             SafeTensors.Contents y = SafeTensors.read(two.resolve("fold0/last.safetensors"))) {
            Map<String, Tensor> tx = x.tensors();
            Map<String, Tensor> ty = y.tensors();
            assertEquals(new TreeSet<>(tx.keySet()), new TreeSet<>(ty.keySet()), "checkpoint keys");
            for (String k : tx.keySet()) {
                Tensor t = tx.get(k);
                if (!t.is_floating_point() || k.startsWith("oof.")) continue;   // oof.*: validation rows, compared as mAP
                float[] u = Tensors.toFloats(t.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).contiguous());
                float[] v = Tensors.toFloats(ty.get(k).to(org.bytedeco.pytorch.global.torch.ScalarType.Float).contiguous());
                assertEquals(u.length, v.length, k);
                for (int i = 0; i < u.length; i++) {
                    double d = Math.abs(u[i] - v[i]);
                    if (d > max) {
                        max = d;
                        worst = k;
                    }
                }
                keyMax.merge(k.contains(".") ? k.substring(0, k.indexOf('.')) : k, maxDiff(u, v), Math::max);

                values += u.length;
            }
        }
        System.out.println("detection data-parallel: max |w(2 x 4) - w(1 x 8)| = " + max + " (" + worst + ") over "
                + values + " values; by prefix " + keyMax);
        assertTrue(values > 100_000, "values compared: " + values);
    }
}
