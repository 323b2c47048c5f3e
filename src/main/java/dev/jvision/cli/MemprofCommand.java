package dev.jvision.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.memprof.MemoryPlanner;
import dev.jvision.memprof.MemoryProfile;
import dev.jvision.memprof.MemoryProfiler;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.StepEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvision memprof}: peak memory of a training step (or inference) by component, and with
 * {@code --fit} the largest batch per memory budget for models x sizes x precisions.
 */
@Command(name = "memprof", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a few real steps and report peak memory by component (weights, gradients, optimizer "
                + "state, EMA copy, activations kept for backward, transient/workspace, input batch).",
                "With --fit: the largest batch that fits each memory budget, per model x size x precision."})
final class MemprofCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME", description = "registered model (see `jvision models`)")
    String model;

    @Option(names = "--img-size", paramLabel = "PX", description = "image side in pixels")
    Integer imgSize;

    @Option(names = "--batch", paramLabel = "B", description = "batch size")
    Integer batch;

    @Option(names = "--amp", paramLabel = "MODE", split = ",", defaultValue = "auto",
            description = "off | bf16 | fp16 | auto (bf16 on CUDA, off on CPU); with --fit a list, e.g. bf16,off")
    List<String> amp;

    @Option(names = "--channels-last", description = "channels-last weights and input")
    boolean channelsLast;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "train", description = "train | infer")
    String mode;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "auto | cpu | cuda | cuda:N")
    String device;

    @Option(names = "--num-classes", paramLabel = "N", defaultValue = "1000", description = "classifier width")
    int numClasses;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "adamw", description = "adamw | sgd")
    String optimizer;

    @Option(names = "--no-ema", description = "no EMA copy of the weights")
    boolean noEma;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "2",
            description = "measured steps; the highest peak is kept (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "steps before measuring")
    int warmup;

    @Option(names = "--deterministic", paramLabel = "BOOL", defaultValue = "true", arity = "1",
            description = "deterministic algorithms, as experiment.deterministic (default: ${DEFAULT-VALUE}; on the CPU "
                    + "they need more backward workspace)")
    boolean deterministic;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "torch threads (0 = all cores)")
    int threads;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Option(names = "--fit", paramLabel = "BUDGETS", split = ",",
            description = "memory budgets, e.g. 8GB,12GB,16GB (GB = 2^30 bytes): print the largest batch for each")
    List<String> fit;

    @Option(names = "--models", paramLabel = "NAMES", split = ",", description = "with --fit: models to plan")
    List<String> models;

    @Option(names = "--sizes", paramLabel = "PX", split = ",", description = "with --fit: image sizes to plan")
    List<Integer> sizes;

    @Option(names = "--probe", paramLabel = "B1,B2", split = ",", defaultValue = "4,8",
            description = "with --fit: the two batch sizes measured (default: ${DEFAULT-VALUE}; wider apart is "
                    + "steadier, as the CPU's sampled peak can miss short temporaries at small batches)")
    List<Integer> probe;

    @Override
    public Integer call() throws Exception {
        NativeRuntime.init();
        TorchSettings.setThreads(threads);
        Device dev = Device.parse(device);
        MemoryProfiler.Mode m = switch (mode) {
            case "train" -> MemoryProfiler.Mode.TRAIN;
            case "infer" -> MemoryProfiler.Mode.INFER;
            default -> throw new IllegalArgumentException("--mode: '" + mode + "' (expected: train or infer)");
        };
        List<StepEngine.Amp> amps = new ArrayList<>();
        for (String a : amp) amps.add(parseAmp(a, dev));
        return fit == null ? single(dev, m, amps) : plan(dev, m, amps);
    }

    private int single(Device dev, MemoryProfiler.Mode m, List<StepEngine.Amp> amps) throws Exception {
        if (model == null || imgSize == null || batch == null) {
            throw new IllegalArgumentException("memprof: --model, --img-size and --batch are required (or --fit with "
                    + "--models and --sizes)");
        }
        if (amps.size() != 1) throw new IllegalArgumentException("--amp: " + amp + " (expected: one value without --fit)");
        MemoryProfile p = MemoryProfiler.profile(new MemoryProfiler.Options(model, imgSize, batch, amps.get(0),
                channelsLast, m, dev, numClasses, !noEma, optimizer, warmup, steps, deterministic));
        System.out.print(json ? jsonOf(p.toMap()) : p.table());
        return 0;
    }

    private int plan(Device dev, MemoryProfiler.Mode m, List<StepEngine.Amp> amps) throws Exception {
        List<String> ms = models != null ? models : model != null ? List.of(model) : null;
        List<Integer> ss = sizes != null ? sizes : imgSize != null ? List.of(imgSize) : null;
        if (ms == null || ss == null) {
            throw new IllegalArgumentException("--fit: --models (or --model) and --sizes (or --img-size) are required");
        }
        if (probe.size() != 2 || probe.get(0) < 1 || probe.get(1) <= probe.get(0)) {
            throw new IllegalArgumentException("--probe: " + probe + " (expected: two batch sizes B1 < B2, e.g. 4,8)");
        }
        List<Long> budgets = new ArrayList<>();
        for (String b : fit) budgets.add(MemoryPlanner.parseBytes("--fit", b));
        MemoryProfiler.Options base = new MemoryProfiler.Options(ms.get(0), ss.get(0), probe.get(0), amps.get(0),
                channelsLast, m, dev, numClasses, !noEma, optimizer, warmup, steps, deterministic);
        List<MemoryPlanner.Row> rows = MemoryPlanner.plan(base, ms, ss, amps, budgets, probe.get(0), probe.get(1));
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (MemoryPlanner.Row r : rows) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("model", r.model());
                e.put("img_size", r.imgSize());
                e.put("amp", r.amp().name().toLowerCase(Locale.ROOT));
                if (r.fit() != null) {
                    e.put("fixed_bytes", r.fit().fixed());
                    e.put("constant_bytes", Math.round(r.fit().constant()));
                    e.put("bytes_per_image", Math.round(r.fit().perImage()));
                    e.put("context_bytes", r.fit().context());
                    e.put("overhead", r.fit().overhead());
                }
                Map<String, Integer> fits = new LinkedHashMap<>();
                for (int i = 0; i < fit.size(); i++) fits.put(fit.get(i), r.batches()[i]);
                e.put("largest_batch", fits);
                out.add(e);
            }
            System.out.print(jsonOf(out));
        } else {
            System.out.printf("jvision memprof --fit: %s, %s, probes at batch %d and %d%n", dev, m.name().toLowerCase(Locale.ROOT),
                    probe.get(0), probe.get(1));
            System.out.print(MemoryPlanner.table(rows, fit));
            System.out.println("largest batch per budget = (budget - ctx) / overhead - fixed - const, divided by MiB/image");
        }
        return 0;
    }

    static StepEngine.Amp parseAmp(String a, Device dev) {
        return switch (a.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> StepEngine.Amp.OFF;
            case "bf16" -> StepEngine.Amp.BF16;
            case "fp16" -> StepEngine.Amp.FP16;
            case "auto" -> dev.isCuda() ? StepEngine.Amp.BF16 : StepEngine.Amp.OFF;
            default -> throw new IllegalArgumentException("--amp: '" + a + "' (expected: off, bf16, fp16 or auto)");
        };
    }

    private static String jsonOf(Object o) throws Exception {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o) + System.lineSeparator();
    }
}
