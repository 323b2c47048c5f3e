package dev.jvision.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.NumberType;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.OptionalType;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU kernels jvision leans on (convolution, linear, layer norm, grid sampling), each behind
 * a guard that the start-up self-check ({@link KernelCheck}, run by {@link NativeRuntime#init()})
 * sets. When a kernel computes wrong results on the host's CPU, its call here takes a safe path
 * instead (contiguous inputs, libtorch's non-oneDNN kernels, a scalar fallback), so that nn
 * layers and augmentation never have to know which host they run on. CUDA tensors always take
 * libtorch's normal dispatch.
 *
 * <p>Two speed paths leave libtorch's normal dispatch, and only where the self-check has proved
 * them on this host. libtorch's own CPU linear runs on OpenBLAS, single-threaded under
 * {@code OPENBLAS_NUM_THREADS=1}; instead, CPU float linears run on oneDNN's inner product
 * (with GELU fused where the model asks for it) when no gradient is needed, and as a oneDNN 1x1
 * convolution over the same memory when one is (ConvNeXt-T's training step runs about 1.6x
 * faster on 2 cores than with libtorch's linear). {@code -Djvision.linear.onednn=false} and
 * {@code -Djvision.linearViaConv=false} turn them off. With libtorch 2.10 the oneDNN 1x1
 * blocking heuristics once died with SIGFPE for the {@code [1, C, rows, 1]} shape on an AMD
 * Zen 5 host; oneDNN 3.12 in libtorch 2.13 carries the fix for those crashes, and the self-check
 * runs this path at start-up on every host.
 *
 * <p>Stateless apart from the process-wide guards; thread-safe. Tensors returned belong to the
 * caller's scope.
 */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static final boolean ONEDNN_LINEAR_WANTED = !"false".equals(System.getProperty("jvision.linear.onednn"));
    private static final boolean VIA_CONV_WANTED = !"false".equals(System.getProperty("jvision.linearViaConv"));
    private static final long MIN_ROWS_VIA_CONV = 64;
    private static final long[] ONES = {1, 1};
    private static final long[] ZEROS = {0, 0};

    // guards: written by KernelCheck.apply (and tests), read on every call
    private static volatile boolean convContiguous;
    private static volatile boolean linearOnednn = ONEDNN_LINEAR_WANTED;
    private static volatile boolean linearViaConv = VIA_CONV_WANTED;
    private static volatile boolean layerNormComposite;
    private static volatile boolean gridSampleFallback;
    private static final AtomicBoolean CHANNELS_LAST_NOTED = new AtomicBoolean();

    private Kernels() {}

    /** Operator handles found once, on first use (after the natives are loaded). */
    private static final class Ops {
        static final OperatorHandle LINEAR_POINTWISE = find("mkldnn::_linear_pointwise", "");
        static final OperatorHandle GRID_SAMPLER_FALLBACK = find("aten::_grid_sampler_2d_cpu_fallback", "");

        private static OperatorHandle find(String name, String overload) {
            OperatorHandle h = Dispatcher.singleton().findSchemaOrThrow(name, overload);
            h.retainReference();
            return h;
        }
    }

    /**
     * {@code conv2d(x, weight, bias)} with symmetric stride, padding and dilation; {@code bias}
     * may be null. On a host where oneDNN gets channels-last or strided inputs wrong, CPU inputs
     * and weights are made contiguous first.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
                                long groups) {
        TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
        if (convContiguous && !x.is_cuda()) {
            return torch.conv2d(x.contiguous(), weight.contiguous(), b, stride, padding, dilation, groups);
        }
        return torch.conv2d(x, weight, b, stride, padding, dilation, groups);
    }

    /**
     * {@code x @ weight^T + bias} over the last dimension of {@code x}; {@code bias} may be null.
     * See the class comment for the CPU paths.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (!x.is_cuda() && x.dim() >= 2 && x.scalar_type().intern() == torch.ScalarType.Float
                && weight.scalar_type().intern() == torch.ScalarType.Float) {
            boolean grad = GradMode.is_enabled() && (x.requires_grad() || weight.requires_grad()
                    || (bias != null && bias.requires_grad()));
            if (!grad && linearOnednn && !torch.is_autocast_enabled(torch.DeviceType.CPU)) {
                return linearOnednn(x, weight, bias);
            }
            long rows = x.numel() / Math.max(1, x.size(-1));
            if (grad && linearViaConv && rows >= MIN_ROWS_VIA_CONV && x.is_contiguous()) {
                return linearViaConv(x, weight, bias);
            }
        }
        return linearPlain(x, weight, bias);
    }

    /**
     * {@code gelu(linear(x))} (exact, erf-based GELU, as {@code nn.GELU()}); on the CPU inference
     * path the GELU is fused into oneDNN's inner product as a post-op.
     */
    public static Tensor linearGelu(Tensor x, Tensor weight, Tensor bias) {
        if (!x.is_cuda() && x.dim() >= 2 && x.scalar_type().intern() == torch.ScalarType.Float
                && weight.scalar_type().intern() == torch.ScalarType.Float && linearOnednn
                && !(GradMode.is_enabled() && (x.requires_grad() || weight.requires_grad()
                        || (bias != null && bias.requires_grad())))
                && !torch.is_autocast_enabled(torch.DeviceType.CPU)) {
            return linearOnednn(x, weight, bias, "gelu");
        }
        return torch.gelu(linear(x, weight, bias));
    }

    /** libtorch's own linear (OpenBLAS on CPU). */
    static Tensor linearPlain(Tensor x, Tensor weight, Tensor bias) {
        return bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
    }

    /** oneDNN's inner product ({@code mkldnn::_linear_pointwise}, no post-op); forward only, no autograd. */
    static Tensor linearOnednn(Tensor x, Tensor weight, Tensor bias) {
        return linearOnednn(x, weight, bias, "none");
    }

    /** With post-op {@code attr}: {@code none} or {@code gelu} (erf). */
    static Tensor linearOnednn(Tensor x, Tensor weight, Tensor bias, String attr) {
        long in = x.size(-1);
        long out = weight.size(0);
        Tensor rows = x.reshape(-1, in).contiguous();
        IValueVector stack = new IValueVector();
        stack.push_back(new IValue(rows));
        stack.push_back(new IValue(weight.contiguous()));
        stack.push_back(bias == null ? new IValue() : new IValue(bias));
        stack.push_back(new IValue(attr));
        stack.push_back(new IValue(new GenericList(OptionalType.get(new Type.TypePtr(NumberType.getNumberIntTypePtr().get())))));
        stack.push_back(new IValue(attr.equals("gelu") ? "none" : "")); // GELU algorithm: none = erf
        Ops.LINEAR_POINTWISE.callBoxed(stack);
        Tensor y = stack.get(0).toTensor();
        long[] shape = shapeOf(x);
        shape[shape.length - 1] = out;
        return y.view(shape);
    }

    /**
     * The rows of {@code x} viewed as a channels-last {@code [1, C, rows, 1]} image and run as a
     * 1x1 convolution, so that neither input nor output is copied and autograd works.
     */
    static Tensor linearViaConv(Tensor x, Tensor weight, Tensor bias) {
        long in = x.size(-1);
        long out = weight.size(0);
        long rows = x.numel() / Math.max(1, in);
        long[] shape = shapeOf(x);
        shape[shape.length - 1] = out;
        Tensor image = x.view(1, rows, 1, in).permute(0, 3, 1, 2);
        TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
        Tensor y = torch.conv2d(image, weight.view(out, in, 1, 1), b, ONES, ZEROS, ONES, 1);
        return y.permute(0, 2, 3, 1).reshape(shape);
    }

    /**
     * Layer norm over the trailing {@code normalizedShape} dimensions; {@code weight} and
     * {@code bias} may be null.
     */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        TensorOptional w = weight == null ? new TensorOptional() : new TensorOptional(weight);
        TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
        if (layerNormComposite && !x.is_cuda()) {
            return layerNormComposite(x, normalizedShape, weight, bias, eps);
        }
        return torch.layer_norm(x, normalizedShape, w, b, eps, true);
    }

    /** Layer norm from elementwise ops and reductions (biased variance, as layer_norm). */
    static Tensor layerNormComposite(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        long[] dims = new long[normalizedShape.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = x.dim() - normalizedShape.length + i;
        }
        var vm = torch.var_mean(x, dims, false, true);
        Tensor var = vm.get0();
        Tensor mean = vm.get1();
        Tensor y = x.sub(mean).mul_(torch.rsqrt(var.add_(new Scalar(eps))));
        if (weight != null) {
            y.mul_(weight);
        }
        if (bias != null) {
            y.add_(bias);
        }
        return y;
    }

    /**
     * {@code grid_sampler} (4-d input; interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0
     * zeros, 1 border, 2 reflection).
     */
    public static Tensor gridSample(Tensor x, Tensor grid, long interpolation, long padding, boolean alignCorners) {
        if (gridSampleFallback && !x.is_cuda()) {
            return gridSampleScalar(x, grid, interpolation, padding, alignCorners);
        }
        return torch.grid_sampler(x, grid, interpolation, padding, alignCorners);
    }

    /** libtorch's scalar (non-vectorised) CPU grid sampler, with autograd. */
    static Tensor gridSampleScalar(Tensor x, Tensor grid, long interpolation, long padding, boolean alignCorners) {
        IValueVector stack = new IValueVector();
        stack.push_back(new IValue(x));
        stack.push_back(new IValue(grid));
        stack.push_back(new IValue(interpolation));
        stack.push_back(new IValue(padding));
        stack.push_back(new IValue(alignCorners));
        Ops.GRID_SAMPLER_FALLBACK.callBoxed(stack);
        return stack.get(0).toTensor();
    }

    /**
     * Whether weights may be converted to channels-last memory format on the CPU. False on a
     * host where the self-check found channels-last convolutions wrong; {@code model.channels_last}
     * then keeps CPU weights contiguous (and says so once).
     */
    public static boolean channelsLastSafe() {
        boolean safe = !convContiguous;
        if (!safe && CHANNELS_LAST_NOTED.compareAndSet(false, true)) {
            LOG.warn("channels-last convolutions are wrong on this CPU (native self-check): CPU weights stay contiguous");
        }
        return safe;
    }

    /** The guards in effect, for logs and {@code jvision selfcheck}. */
    public static String describe() {
        return "conv inputs " + (convContiguous ? "made contiguous" : "as given")
                + ", linear " + (linearOnednn ? "oneDNN inner product (inference)" : "libtorch (inference)")
                + (linearViaConv ? " / oneDNN 1x1 convolution (training)" : " / libtorch (training)")
                + ", layer norm " + (layerNormComposite ? "composite" : "libtorch")
                + ", grid sample " + (gridSampleFallback ? "scalar fallback" : "libtorch")
                + ", oneDNN " + (torch.globalContext().userEnabledMkldnn() ? "on" : "off");
    }

    private static long[] shapeOf(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    // --- guards, set by KernelCheck -----------------------------------------------------------

    static void setConvContiguous(boolean on) {
        convContiguous = on;
    }

    static void setLinearOnednn(boolean on) {
        linearOnednn = on && ONEDNN_LINEAR_WANTED;
    }

    static void setLinearViaConv(boolean on) {
        linearViaConv = on && VIA_CONV_WANTED;
    }

    static void setLayerNormComposite(boolean on) {
        layerNormComposite = on;
    }

    static void setGridSampleFallback(boolean on) {
        gridSampleFallback = on;
    }

    static void setMkldnnEnabled(boolean on) {
        torch.globalContext().setUserEnabledMkldnn(on);
    }

    /** Back to the defaults (the fast paths on, as if the self-check passed); for tests. */
    static void resetGuards() {
        convContiguous = false;
        linearOnednn = ONEDNN_LINEAR_WANTED;
        linearViaConv = VIA_CONV_WANTED;
        layerNormComposite = false;
        gridSampleFallback = false;
        setMkldnnEnabled(true);
    }
}
