package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.Random;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A smoke check of {@code train.amp: bf16} on the CPU (not a test, not a benchmark): for one model,
 * {@code steps} training steps in float32 and in bf16 autocast (fresh identical models, channels-last,
 * SGD), alternated in blocks of 5 so that load changes hit both, then evaluation logits of both
 * precisions on one batch. Prints finite/decreasing losses, the bf16-vs-float32 logit difference
 * and images/s of each (noisy on a shared machine: a paired, quiet measurement is the real one).
 *
 * <p>Run: {@code java -cp target/test-classes:target/classes:$(cat cp.txt) dev.jvision.train.Bf16Probe
 * [model] [batch] [size] [steps] [threads]}.
 */
public final class Bf16Probe {
    private Bf16Probe() {}

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "quicknet_s";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 28;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        NativeRuntime.init();
        TorchSettings.setThreads(threads);
        TrainConfig t = Experiment.defaults().with("train.optimizer=sgd", "train.lr=0.05", "train.weight_decay=0.0005",
                "train.label_smoothing=0.0").train();
        Random r = new Random(1);
        float[] px = new float[batch * 3 * size * size];
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
        long[] y = new long[batch];
        for (int i = 0; i < batch; i++) y[i] = i % 10;
        Tensor x = Tensors.fromFloats(px, batch, 3, size, size).contiguous(torch.MemoryFormat.ChannelsLast);
        x.retainReference();
        Tensor targets = torch.one_hot(Tensors.fromLongs(y, batch), 10).to(torch.ScalarType.Float);
        targets.retainReference();
        StepEngine.Amp[] modes = {StepEngine.Amp.OFF, StepEngine.Amp.BF16};
        ImageModel[] models = new ImageModel[2];
        StepOptimizer[] opts = new StepOptimizer[2];
        StepEngine[] engines = new StepEngine[2];
        double[] secs = new double[2];
        float[][] loss = new float[2][steps];
        for (int m = 0; m < 2; m++) {
            TorchSettings.seed(7);
            models[m] = Models.create(name, ModelOptions.of(10));
            models[m].toChannelsLast();
            opts[m] = Trainer.buildOptimizer(models[m], t);
            engines[m] = new StepEngine(models[m], opts[m], LossScaler.disabled(Device.CPU), null, t, modes[m], Device.CPU, null);
        }
        for (int block = 0; block < steps; block += 5) {
            for (int m = 0; m < 2; m++) {
                long t0 = System.nanoTime();
                for (int s = block; s < Math.min(steps, block + 5); s++) {
                    try (var scope = Memory.step()) {
                        loss[m][s] = engines[m].accumulate(x, targets);
                        engines[m].step(0.05);
                    }
                }
                secs[m] += (System.nanoTime() - t0) / 1e9;
            }
        }
        float[][] logits = new float[2][];
        for (int m = 0; m < 2; m++) {
            models[m].train(false);
        }
        try (var scope = Memory.step(); NoGradGuard ng = new NoGradGuard()) {
            // the float32 model's weights under both precisions: the inference difference alone
            logits[0] = Tensors.toFloats(engines[0].forward(x));
            StepEngine bf = new StepEngine(models[0], null, null, null, t, StepEngine.Amp.BF16, Device.CPU, null);
            long t0 = System.nanoTime();
            logits[1] = Tensors.toFloats(bf.forward(x).to(torch.ScalarType.Float));
            double bfSecs = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            engines[0].forward(x);
            double fpSecs = (System.nanoTime() - t0) / 1e9;
            float d = 0;
            for (int i = 0; i < logits[0].length; i++) d = Math.max(d, Math.abs(logits[0][i] - logits[1][i]));
            System.out.printf("BF16PROBE model %s batch %d size %d steps %d threads %d%n", name, batch, size, steps, threads);
            for (int m = 0; m < 2; m++) {
                System.out.printf("BF16PROBE train %-4s loss first %.4f last %.4f finite %b  %.1f img/s%n", modes[m],
                        loss[m][0], loss[m][steps - 1], allFinite(loss[m]), steps * (double) batch / secs[m]);
            }
            System.out.printf("BF16PROBE infer max |bf16 - fp32| logits %.4f; one batch fp32 %.1f img/s, bf16 %.1f img/s%n",
                    d, batch / fpSecs, batch / bfSecs);
        }
        for (int m = 0; m < 2; m++) {
            opts[m].close();
            models[m].close();
        }
    }

    private static boolean allFinite(float[] v) {
        for (float f : v) if (!Float.isFinite(f)) return false;
        return true;
    }
}
