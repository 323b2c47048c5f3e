package dev.jvision.cli;

import dev.jvision.runtime.KernelCheck;
import dev.jvision.runtime.NativeRuntime;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;

/** {@code jvision selfcheck}: the native stack and the start-up kernel check on this host. */
@Command(name = "selfcheck", mixinStandardHelpOptions = true,
        description = "Show the native stack and the result of the kernel self-check on this CPU.")
final class SelfCheckCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        NativeRuntime.Info info = NativeRuntime.init();
        KernelCheck.Result r = info.selfCheck();
        System.out.println("platform:  " + info.platform() + ", CUDA " + (info.cuda() ? "available" : "not available"));
        System.out.println("libtorch:  " + nativeLine("Build settings").replaceAll(".*TORCH_VERSION=([^,]+).*", "$1")
                + " (" + nativeLine("Intel(R) MKL-DNN") + ", " + nativeLine("CPU capability usage") + ")");
        System.out.println("cpu:       " + r.cpu());
        System.out.printf(Locale.ROOT, "self-check (%d ms):%n", r.millis());
        for (KernelCheck.Outcome o : r.outcomes()) {
            System.out.printf(Locale.ROOT, "  %-20s %-6s max error %.1e  %s%s%n", o.kernel().key(), o.ok() ? "ok" : "WRONG",
                    o.maxError(), o.kernel().description(), o.detail().isEmpty() ? "" : " (" + o.detail() + ")");
        }
        if (r.outcomes().isEmpty()) {
            System.out.println("  (skipped)");
        }
        for (String f : r.fallbacks()) {
            System.out.println("safe path: " + f);
        }
        System.out.println("in effect: " + r.guards());
        return 0;
    }

    private static String nativeLine(String prefix) {
        for (String line : torch.show_config().getString().split("\n")) {
            String t = line.replaceFirst("^\\s*-\\s*", "").trim();
            if (t.startsWith(prefix)) {
                return t.replace("Intel(R) MKL-DNN", "oneDNN").replaceAll("\\s*\\(Git Hash [0-9a-f]+\\)", "");
            }
        }
        return prefix + " unknown";
    }
}
