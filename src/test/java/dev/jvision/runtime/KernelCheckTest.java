package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.jvision.models.ConvNeXt;
import dev.jvision.models.ModelOptions;
import java.util.EnumSet;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The native self-check: on this host every kernel (or its safe path) is right, and forcing
 * failures switches every kernel to a safe path that still gives the same model outputs.
 */
class KernelCheckTest {
    @AfterEach
    void restore() {
        KernelCheck.run(EnumSet.noneOf(KernelCheck.Kernel.class));
    }

    @Test
    void selfCheck_onThisHost_everyKernelOrItsSafePathIsRight() {
        KernelCheck.Result r = NativeRuntime.init().selfCheck();
        System.out.println("self-check on " + r.cpu() + " (" + r.millis() + " ms)");
        for (KernelCheck.Outcome o : r.outcomes()) {
            System.out.printf("  %-20s %-5s max error %.2e %s%n", o.kernel().key(), o.ok() ? "ok" : "WRONG", o.maxError(), o.detail());
        }
        System.out.println("  guards: " + r.guards());
        assertEquals(KernelCheck.Kernel.values().length, r.outcomes().size(), "every kernel is checked");
        assertTrue(r.fallbacks().stream().noneMatch(f -> f.contains("no safe path")), "fallbacks: " + r.fallbacks());
        assertTrue(r.cpu().contains("family") || !r.cpu().isEmpty());
    }

    @Test
    void forcedFailures_switchToSafePaths_warnOncePerKernel_andModelOutputsStayTheSame() {
        TorchSettings.seed(5);
        try (ConvNeXt model = ConvNeXt.create(new ConvNeXt.Config(new int[] {1, 1, 2, 1}, new int[] {40, 80, 160, 320},
                true, 1.0, 0, 1.0), ModelOptions.of(7)); PointerScope scope = new PointerScope();
             NoGradGuard ng = new NoGradGuard()) {
            model.train(false);
            Tensor x = torch.randn(2, 3, 64, 64);
            Tensor grid = torch.rand(2, 9, 9, 2).mul_(new Scalar(2.4)).sub_(new Scalar(1.2));
            float[] fast = Tensors.toFloats(model.forward(x));
            float[] fastGrid = Tensors.toFloats(Kernels.gridSample(x, grid, 0, 2, false));

            ListAppender<ILoggingEvent> logs = new ListAppender<>();
            var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(KernelCheck.class);
            logs.start();
            logger.addAppender(logs);
            KernelCheck.Result r;
            try {
                r = KernelCheck.run(EnumSet.allOf(KernelCheck.Kernel.class));
            } finally {
                logger.detachAppender(logs);
            }
            assertFalse(r.allPassed());
            assertEquals(KernelCheck.Kernel.values().length, r.fallbacks().size(), "one safe path per kernel: " + r.fallbacks());
            List<String> warnings = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(KernelCheck.Kernel.values().length, warnings.size(), "one warning per kernel: " + warnings);
            assertTrue(warnings.get(0).contains(KernelCheck.cpuName()), "the warning names the CPU: " + warnings.get(0));
            assertTrue(warnings.stream().anyMatch(w -> w.contains("depthwise 7x7")), warnings.toString());
            assertTrue(r.guards().contains("made contiguous") && r.guards().contains("oneDNN off")
                    && r.guards().contains("scalar fallback") && r.guards().contains("composite"), r.guards());
            assertFalse(Kernels.channelsLastSafe());

            float[] safe = Tensors.toFloats(model.forward(x));
            float[] safeGrid = Tensors.toFloats(Kernels.gridSample(x, grid, 0, 2, false));
            assertClose(fast, safe, 1e-4, "ConvNeXt (conv_mlp) logits on the safe paths");
            assertClose(fastGrid, safeGrid, 1e-5, "grid sample on the scalar fallback");
        }
    }

    @Test
    void linearPaths_agreeWithLibtorch_withAndWithoutGrad() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = torch.randn(3, 50, 96);
            Tensor w = torch.randn(384, 96).mul_(new Scalar(0.1));
            Tensor b = torch.randn(384);
            float[] ref = Tensors.toFloats(Kernels.linearPlain(x, w, b));
            assertClose(ref, Tensors.toFloats(Kernels.linearOnednn(x, w, b)), 1e-5, "oneDNN inner product");
            assertClose(ref, Tensors.toFloats(Kernels.linearViaConv(x, w, b)), 1e-5, "1x1 convolution");
            w.requires_grad_(true);
            Tensor y = Kernels.linear(x, w, b); // training path: must carry autograd
            assertTrue(y.requires_grad(), "linear output must be part of the graph when weights need gradients");
            y.sum().backward();
            assertTrue(w.grad().defined());
        }
    }

    @Test
    void unknownForcedKernel_isRejectedWithTheChoices() {
        var e = assertThrows(IllegalArgumentException.class, () -> KernelCheck.forcedFromProperty("conv_1x1,linaer"));
        assertTrue(e.getMessage().contains("'linaer'") && e.getMessage().contains("conv_1x1_strided"), e.getMessage());
        assertEquals(EnumSet.allOf(KernelCheck.Kernel.class), KernelCheck.forcedFromProperty(" all "));
        assertEquals(EnumSet.of(KernelCheck.Kernel.GRID_SAMPLE), KernelCheck.forcedFromProperty("grid_sample"));
    }

    private static void assertClose(float[] a, float[] b, double tol, String what) {
        assertEquals(a.length, b.length, what);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        System.out.printf("%s: max difference %.2e%n", what, m);
        assertTrue(m <= tol, what + ": max difference " + m + " (expected <= " + tol + ")");
    }
}
