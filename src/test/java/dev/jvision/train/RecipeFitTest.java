package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The small-image recipe's keys together, through a real fit: whitening, BatchNorm options, lookahead, onecycle. */
class RecipeFitTest extends NativeTestFixture {
    private static Experiment exp(String... more) {
        java.util.List<String> sets = new java.util.ArrayList<>(java.util.List.of("data.img_size=16", "train.epochs=2",
                "train.batch_size=8", "train.lr=0.05", "train.optimizer=sgd", "train.nesterov=true",
                "train.schedule=onecycle", "train.weight_decay=0.0005", "augment.policy=basic",
                "augment.flip_mode=alternate", "augment.translate=2", "infer.batch_size=16"));
        sets.addAll(java.util.List.of(more));
        return Experiment.defaults().with(sets.toArray(new String[0]));
    }

    @Test
    void fit_withEveryTrick_runs_andAppliesThem() throws IOException {
        Experiment e = exp("train.whitening.enabled=true", "train.whitening.images=20", "train.batch_norm.frozen_scale=true",
                "train.batch_norm.momentum=0.4", "train.batch_norm.bias_lr_scale=8", "train.lookahead.every=2");
        Dataset train = TrainerTest.shapes(32, 1);
        Dataset val = TrainerTest.shapes(16, 2);
        TorchSettings.seed(4);
        try (ImageModel m = Models.create("quicknet_s", ModelOptions.of(2))) {
            Tensor stem = m.stateDict().get("stem.weight");
            float before = dev.jvision.runtime.Tensors.toFloats(stem)[0];
            FitResult r = Trainer.builder(e).build().fit(m, train, val);
            assertTrue(r.best().epoch() >= 1, "validated: " + r.best());
            assertFalse(stem.requires_grad(), "whitened stem frozen");
            assertNotEquals(before, dev.jvision.runtime.Tensors.toFloats(stem)[0], "stem set by whitening");
            for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
                if (p.getKey().endsWith("bn.weight")) {
                    assertFalse(p.getValue().requires_grad(), p.getKey());
                    for (float v : dev.jvision.runtime.Tensors.toFloats(p.getValue())) assertEquals(1f, v, p.getKey());
                }
            }
        }
    }

    @Test
    void resume_withEveryTrick_givesTheUninterruptedResult() throws IOException {
        long second = 1_000_000_000L;
        Experiment e = exp("train.max_time=6s", "train.checkpoint_every_steps=1", "train.epochs=3",
                "train.whitening.enabled=true", "train.whitening.images=20", "train.batch_norm.frozen_scale=true",
                "train.batch_norm.momentum=0.4", "train.batch_norm.bias_lr_scale=8", "train.lookahead.every=2",
                "train.lookahead.power=1.0");
        Dataset train = TrainerTest.shapes(32, 1);
        Dataset val = TrainerTest.shapes(16, 2);
        MaxTimeTest.StepClock whole = new MaxTimeTest.StepClock(0, -1);
        FitResult uninterrupted = fitQuick(Trainer.builder(e).clock(whole::nanos).callback(whole)
                .checkpoints(tmp.resolve("whole")).build(), train, val);

        java.nio.file.Path dir = tmp.resolve("resumed");
        MaxTimeTest.StepClock first = new MaxTimeTest.StepClock(0, 3);
        assertThrows(IllegalStateException.class, () -> fitQuick(Trainer.builder(e).clock(first::nanos).callback(first)
                .checkpoints(dir).build(), train, val));
        MaxTimeTest.StepClock rest = new MaxTimeTest.StepClock(-50 * second, -1);
        FitResult resumed = fitQuick(Trainer.builder(e).clock(rest::nanos).callback(rest).checkpoints(dir).resume(true)
                .build(), train, val);
        assertEquals(3, rest.started, "the 3 steps left of the 6 s budget");
        assertEquals(uninterrupted.best(), resumed.best());
        for (int i = 0; i < uninterrupted.bestLogits().length; i++) {
            assertArrayEquals(uninterrupted.bestLogits()[i], resumed.bestLogits()[i], "validation item " + i);
        }
    }

    private static FitResult fitQuick(Trainer trainer, Dataset train, Dataset val) throws IOException {
        TorchSettings.seed(5);
        try (ImageModel m = Models.create("quicknet_s", ModelOptions.of(2))) {
            return trainer.fit(m, train, val);
        }
    }

    @Test
    void whitening_onAModelWithoutAWhiteningStem_isAClearError() throws IOException {
        Experiment e = exp("train.whitening.enabled=true");
        try (TrainerTest.TinyCnn m = new TrainerTest.TinyCnn()) {
            var ex = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.builder(e).build().fit(m, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2)));
            assertTrue(ex.getMessage().contains("train.whitening.enabled") && ex.getMessage().contains("tiny_cnn"),
                    ex.getMessage());
        }
    }

    @Test
    void configKeys_defaultsAreOff_andBadValuesNameTheKey() {
        Experiment d = Experiment.defaults();
        assertFalse(d.train().optimizer().lookahead().enabled());
        assertFalse(d.train().modelSetup().whitening().enabled());
        assertFalse(d.train().modelSetup().batchNorm().changesModel());
        assertEquals(1.0, d.train().modelSetup().batchNorm().biasLrScale());
        assertEquals(dev.jvision.config.TrainConfig.Schedule.Kind.COSINE, d.train().schedule().kind());
        var ex = assertThrows(dev.jvision.config.ConfigException.class, () -> d.with("train.batch_norm.momentum=1.5"));
        assertTrue(ex.getMessage().contains("train.batch_norm.momentum"), ex.getMessage());
        ex = assertThrows(dev.jvision.config.ConfigException.class, () -> d.with("train.one_cycle.peak=1.0"));
        assertTrue(ex.getMessage().contains("train.one_cycle.peak"), ex.getMessage());
        ex = assertThrows(dev.jvision.config.ConfigException.class, () -> d.with("train.lookahead.every=-1"));
        assertTrue(ex.getMessage().contains("train.lookahead.every"), ex.getMessage());
        assertEquals(5, d.with("train.lookahead.every=5").train().optimizer().lookahead().every());
        assertEquals(0.4, d.with("train.batch_norm.momentum=0.4").train().modelSetup().batchNorm().momentum());
    }
}
