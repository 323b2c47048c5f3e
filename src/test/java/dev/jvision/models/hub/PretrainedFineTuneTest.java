package dev.jvision.models.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.ConfigException;
import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.SafeTensors;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.FitResult;
import dev.jvision.train.ModelFactory;
import dev.jvision.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.pretrained} end to end, offline: a timm checkpoint of the smallest registered model
 * (convnext_atto, 1000 classes, timm parameter names; the weights are jvision's seeded
 * initialisation, since a real 15 MB checkpoint cannot be committed) is placed in a Hugging Face
 * cache folder laid out as {@code huggingface_hub} writes it (blobs named by SHA-256 / git SHA-1,
 * relative snapshot symlinks, {@code refs/main} without newline: the layout of the Python-made
 * fixture), found with {@code HF_HUB_OFFLINE=1} and an unreachable endpoint, and fine-tuned on a
 * 2-class task: the backbone starts from the checkpoint, the head is re-initialised, and the
 * config.json's mean/std (0.5, as timm's in21k TF checkpoints use) become the run's preprocessing.
 */
class PretrainedFineTuneTest {
    static final String REPO = "timm/convnext_atto.d2_in1k";
    static final String COMMIT = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

    @TempDir
    Path tmp;

    @BeforeAll
    static void initNative() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    /** Writes {@code REPO} into {@code cache} as huggingface_hub lays it out; returns the checkpoint's bytes. */
    static byte[] placeCheckpoint(Path cache, Path work) throws IOException {
        Path weights = work.resolve("model.safetensors");
        TorchSettings.seed(3);
        try (ImageModel m = Models.create("convnext_atto", ModelOptions.of(1000))) {
            Weights.save(m, weights, Map.of("format", "pt"));
        }
        byte[] w = Files.readAllBytes(weights);
        String config = Files.readString(HubCacheTest.CACHE.resolve("models--timm--convnext_atto.jvision_fixture/"
                + "snapshots/" + HubCacheTest.COMMIT + "/config.json"))
                .replace("0.485,\n      0.456,\n      0.406", "0.5,\n      0.5,\n      0.5")
                .replace("0.229,\n      0.224,\n      0.225", "0.5,\n      0.5,\n      0.5");
        assertTrue(config.contains("\"mean\": [\n      0.5,"), config);
        byte[] c = config.getBytes(StandardCharsets.UTF_8);
        Path repo = cache.resolve("models--timm--convnext_atto.d2_in1k");
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        String wSha = FakeHub.sha256(w);
        String cSha1 = FakeHub.gitSha1(c);
        Files.write(repo.resolve("blobs").resolve(wSha), w);
        Files.write(repo.resolve("blobs").resolve(cSha1), c);
        Files.createSymbolicLink(repo.resolve("snapshots").resolve(COMMIT).resolve("model.safetensors"),
                Path.of("../../blobs/" + wSha));
        Files.createSymbolicLink(repo.resolve("snapshots").resolve(COMMIT).resolve("config.json"),
                Path.of("../../blobs/" + cSha1));
        Files.writeString(repo.resolve("refs").resolve("main"), COMMIT);
        return w;
    }

    static HubSettings offline(Path cache) {
        return HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1",
                "HF_ENDPOINT", "http://127.0.0.1:9"));
    }

    static Dataset shapes(int n, long seed) {
        Random r = new Random(seed);
        List<Dataset.Item> items = new ArrayList<>();
        int size = 32;
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            byte[] px = new byte[size * size * 3];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean on = label == 0 ? Math.abs(x - size / 2) < size / 4 && Math.abs(y - size / 2) < size / 4
                            : Math.abs(y - size / 2) < size / 8;
                    int v = on ? 190 + r.nextInt(60) : r.nextInt(50);
                    for (int ch = 0; ch < 3; ch++) {
                        px[(y * size + x) * 3 + ch] = (byte) v;
                    }
                }
            }
            items.add(Dataset.Item.rgb(px, size, size, label));
        }
        return Dataset.of(items);
    }

    static Experiment exp(String... more) {
        List<String> sets = new ArrayList<>(List.of("data.img_size=32", "train.epochs=2", "train.batch_size=8",
                "train.lr=0.001", "train.warmup_epochs=0", "augment.policy=none", "infer.batch_size=16",
                "model.name=convnext_atto", "model.num_classes=2", "model.pretrained=" + REPO));
        sets.addAll(List.of(more));
        return Experiment.defaults().with(sets.toArray(new String[0]));
    }

    @Test
    void pretrained_inPythonLayoutOffline_loadsBackboneNewHeadAndItsPreprocessing() throws IOException {
        Path cache = tmp.resolve("hub");
        placeCheckpoint(cache, tmp);
        Experiment e = exp();
        ModelFactory f = ModelFactory.of(e.model(), "convnext_atto", 2, Device.CPU, offline(cache));
        try (ImageModel m = f.create();
             SafeTensors.Contents ck = SafeTensors.read(cache.resolve("models--timm--convnext_atto.d2_in1k/snapshots/"
                     + COMMIT + "/model.safetensors"))) {
            assertArrayEquals(new double[] {0.5, 0.5, 0.5}, m.spec().mean(), "config.json's mean");
            assertArrayEquals(new double[] {0.5, 0.5, 0.5}, m.spec().std());
            assertEquals(0.875, m.spec().cropPct());
            assertEquals("bicubic", m.spec().interpolation());
            Map<String, Tensor> sd = m.stateDict();
            for (String k : List.of("stem.0.weight", "stages.3.blocks.1.mlp.fc2.weight", "head.norm.weight")) {
                assertTrue(sd.get(k).equal(ck.tensors().get(k)), k + " comes from the checkpoint");
            }
            assertEquals(2, sd.get("head.fc.weight").size(0), "a new 2-class head");
            assertArrayEquals(new double[] {0.485, 0.456, 0.406}, Models.spec("convnext_atto").mean(),
                    "the registry is unchanged");
        }
    }

    @Test
    void pretrained_offline_fineTunesAndRecordsPreprocessingInCheckpoint() throws IOException {
        Path cache = tmp.resolve("hub");
        placeCheckpoint(cache, tmp);
        Experiment e = exp();
        Path ckpt = tmp.resolve("ckpt");
        Trainer trainer = Trainer.builder(e).device(Device.CPU).checkpoints(ckpt).seed(1).build();
        FitResult r = trainer.fit(ModelFactory.of(e.model(), "convnext_atto", 2, Device.CPU, offline(cache)),
                shapes(32, 1), shapes(16, 2));
        assertEquals("convnext_atto", r.model());
        assertTrue(Double.isFinite(r.best().metric("val_loss")), r.best().toString());
        CheckpointInfo info = CheckpointInfo.read(ckpt.resolve("best.json"));
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, info.mean(), "inference normalises as the weights expect");
        assertEquals(2, info.numClasses());
        try (SafeTensors.Contents tuned = SafeTensors.read(ckpt.resolve("best.safetensors"));
             SafeTensors.Contents start = SafeTensors.read(cache.resolve("models--timm--convnext_atto.d2_in1k/snapshots/"
                     + COMMIT + "/model.safetensors"))) {
            Tensor a = tuned.tensors().get("stem.0.weight");
            Tensor b = start.tensors().get("stem.0.weight");
            double moved = a.sub(b).abs().max().item_double();
            assertTrue(moved > 0 && moved < 0.1, "fine-tuned from the checkpoint, not from scratch: " + moved);
        }
    }

    @Test
    void pretrained_wrongArchitectureOrMissingOffline_clearErrors() throws IOException {
        Path cache = tmp.resolve("hub");
        placeCheckpoint(cache, tmp);
        Experiment e = exp("model.name=resnet18");
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class,
                () -> ModelFactory.of(e.model(), "resnet18", 2, Device.CPU, offline(cache)).create());
        assertTrue(arch.getMessage().contains("'convnext_atto' (config.json architecture)")
                && arch.getMessage().contains("model.name: convnext_atto"), arch.getMessage());
        Experiment missing = exp("model.pretrained=timm/convnext_atto.other");
        IllegalArgumentException off = assertThrows(IllegalArgumentException.class,
                () -> ModelFactory.of(missing.model(), "convnext_atto", 2, Device.CPU, offline(cache)).create());
        assertTrue(off.getMessage().startsWith("model.pretrained: ") && off.getMessage().contains("HF_HUB_OFFLINE")
                && off.getMessage().contains(cache.toAbsolutePath().resolve("models--timm--convnext_atto.other")
                .toString()), off.getMessage());
        Experiment twice = exp("model.weights=w.safetensors");
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> ModelFactory.of(twice.model(), "convnext_atto", 2, Device.CPU, offline(cache)));
        assertTrue(both.getMessage().contains("model.weights is set"), both.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> exp("model.pretrained=timm/a b"));
        assertTrue(bad.getMessage().contains("ORG/NAME[@REVISION]"), bad.getMessage());
    }
}
