package dev.jvision.optim;

import java.util.List;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorList;
import org.bytedeco.pytorch.TensorType;
import org.bytedeco.pytorch.Type;

/**
 * Multi-tensor ATen kernels that {@code global.torch} does not expose ({@code _fused_adamw_},
 * {@code _foreach_*}, {@code _amp_*}), called through the dispatcher's boxed calling convention.
 * One native call per list instead of one per tensor. Operator handles are looked up once;
 * calls are thread-safe as far as the tensors passed are not shared between threads. Tensors
 * returned belong to the caller's scope.
 */
public final class AtenOps {
    private AtenOps() {}

    private static final class Ops {
        static final OperatorHandle FUSED_ADAMW = find("aten::_fused_adamw_", "");
        static final OperatorHandle FOREACH_MUL_SCALAR = find("aten::_foreach_mul_", "Scalar");
        static final OperatorHandle FOREACH_MUL_TENSOR = find("aten::_foreach_mul_", "Tensor");
        static final OperatorHandle FOREACH_ADD_SCALAR = find("aten::_foreach_add_", "Scalar");
        static final OperatorHandle FOREACH_ADD_LIST = find("aten::_foreach_add_", "List");
        static final OperatorHandle FOREACH_LERP_SCALAR = find("aten::_foreach_lerp_", "Scalar");
        static final OperatorHandle FOREACH_ADDCMUL_SCALAR = find("aten::_foreach_addcmul_", "Scalar");
        static final OperatorHandle FOREACH_ADDCDIV_SCALAR = find("aten::_foreach_addcdiv_", "Scalar");
        static final OperatorHandle FOREACH_DIV_SCALAR = find("aten::_foreach_div_", "Scalar");
        static final OperatorHandle FOREACH_SQRT = find("aten::_foreach_sqrt", "");
        static final OperatorHandle FOREACH_NORM = find("aten::_foreach_norm", "Scalar");
        static final OperatorHandle FOREACH_COPY = find("aten::_foreach_copy_", "");
        static final OperatorHandle AMP_UNSCALE = find("aten::_amp_foreach_non_finite_check_and_unscale_", "");
        static final OperatorHandle AMP_UPDATE = find("aten::_amp_update_scale_", "");

        private static OperatorHandle find(String name, String overload) {
            OperatorHandle h = Dispatcher.singleton().findSchemaOrThrow(name, overload);
            h.retainReference();
            return h;
        }
    }

    /** A boxed {@code Tensor[]} argument. */
    static IValue list(List<Tensor> tensors) {
        GenericList l = new GenericList(new Type.TypePtr(TensorType.get()));
        for (Tensor t : tensors) {
            l.push_back(new IValue(t));
        }
        return new IValue(l);
    }

    private static IValueVector call(OperatorHandle op, IValue... args) {
        IValueVector stack = new IValueVector();
        for (IValue a : args) {
            stack.push_back(a);
        }
        op.callBoxed(stack);
        return stack;
    }

    /**
     * One AdamW step over all tensors with libtorch's fused kernel (decoupled weight decay,
     * bias correction from {@code steps}, which the kernel does not increment).
     */
    public static void fusedAdamW(List<Tensor> params, List<Tensor> grads, List<Tensor> expAvgs, List<Tensor> expAvgSqs,
                                  List<Tensor> steps, double lr, double beta1, double beta2, double weightDecay,
                                  double eps) {
        call(Ops.FUSED_ADAMW, list(params), list(grads), list(expAvgs), list(expAvgSqs), list(List.of()), list(steps),
                new IValue(lr), new IValue(beta1), new IValue(beta2), new IValue(weightDecay), new IValue(eps),
                new IValue(false), new IValue(false), new IValue(), new IValue());
    }

    /** {@code t *= scalar} for every tensor. */
    public static void mul(List<Tensor> ts, double scalar) {
        call(Ops.FOREACH_MUL_SCALAR, list(ts), new IValue(new Scalar(scalar)));
    }

    /** {@code t *= factor} for every tensor, with a one-element tensor factor (no host sync). */
    public static void mul(List<Tensor> ts, Tensor factor) {
        call(Ops.FOREACH_MUL_TENSOR, list(ts), new IValue(factor));
    }

    /** {@code t += scalar} for every tensor. */
    public static void add(List<Tensor> ts, double scalar) {
        call(Ops.FOREACH_ADD_SCALAR, list(ts), new IValue(new Scalar(scalar)));
    }

    /** {@code a[i] += alpha * b[i]}. */
    public static void add(List<Tensor> a, List<Tensor> b, double alpha) {
        call(Ops.FOREACH_ADD_LIST, list(a), list(b), new IValue(new Scalar(alpha)));
    }

    /** {@code a[i] += weight * (b[i] - a[i])}. */
    public static void lerp(List<Tensor> a, List<Tensor> b, double weight) {
        call(Ops.FOREACH_LERP_SCALAR, list(a), list(b), new IValue(new Scalar(weight)));
    }

    /** {@code t[i] += value * a[i] * b[i]}. */
    public static void addcmul(List<Tensor> t, List<Tensor> a, List<Tensor> b, double value) {
        call(Ops.FOREACH_ADDCMUL_SCALAR, list(t), list(a), list(b), new IValue(new Scalar(value)));
    }

    /** {@code t[i] += value * a[i] / b[i]}. */
    public static void addcdiv(List<Tensor> t, List<Tensor> a, List<Tensor> b, double value) {
        call(Ops.FOREACH_ADDCDIV_SCALAR, list(t), list(a), list(b), new IValue(new Scalar(value)));
    }

    /** {@code t /= scalar} for every tensor. */
    public static void div(List<Tensor> ts, double scalar) {
        call(Ops.FOREACH_DIV_SCALAR, list(ts), new IValue(new Scalar(scalar)));
    }

    /** Element-wise square roots, as new tensors. */
    public static TensorList sqrt(List<Tensor> ts) {
        return call(Ops.FOREACH_SQRT, list(ts)).get(0).toTensorList();
    }

    /** The 2-norm of each tensor, as new scalar tensors. */
    public static TensorList norms(List<Tensor> ts) {
        return call(Ops.FOREACH_NORM, list(ts), new IValue(new Scalar(2.0)), new IValue()).get(0).toTensorList();
    }

    /** {@code dst[i].copy_(src[i])}. */
    public static void copy(List<Tensor> dst, List<Tensor> src) {
        call(Ops.FOREACH_COPY, list(dst), list(src), new IValue(false));
    }

    /**
     * Multiplies every gradient by {@code invScale} and sets {@code foundInf} to 1 when any of
     * them holds an infinity or NaN (it is never reset here).
     */
    public static void unscaleAndCheck(List<Tensor> grads, Tensor foundInf, Tensor invScale) {
        call(Ops.AMP_UNSCALE, list(grads), new IValue(foundInf), new IValue(invScale));
    }

    /**
     * Dynamic loss-scale update in place: halves ({@code backoff}) {@code scale} after an
     * overflow and resets the tracker, otherwise grows it by {@code growth} after
     * {@code interval} clean steps.
     */
    public static void updateScale(Tensor scale, Tensor growthTracker, Tensor foundInf, double growth, double backoff,
                                   long interval) {
        call(Ops.AMP_UPDATE, new IValue(scale), new IValue(growthTracker), new IValue(foundInf), new IValue(growth),
                new IValue(backoff), new IValue(interval));
    }
}
