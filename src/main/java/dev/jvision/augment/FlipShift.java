package dev.jvision.augment;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The small-image recipes' cheap geometric augmentation: per sample a horizontal flip and a
 * whole-pixel translation with reflect padding ({@code augment.flip_mode: alternate},
 * {@code augment.translate}), in one {@code gather} over the reflect-padded batch; and the
 * batch-wide shifts of test-time augmentation ({@link #shift}). Reflection is about the edge
 * pixels' centres (PyTorch's {@code reflect} padding): shifting right by 1 makes column 0 a copy
 * of column 1. Stateless and thread-safe; results belong to the caller's scope.
 */
public final class FlipShift {
    private FlipShift() {}

    /**
     * Flips (when {@code flip[i]}) then shifts sample {@code i} of a float [N, C, H, W] batch by
     * {@code dx[i]} columns right and {@code dy[i]} rows down: out(y, x) = f(in)(y - dy, x - dx)
     * with reflected indices.
     *
     * @throws IllegalArgumentException when a shift is not smaller than the image
     */
    static Tensor apply(Tensor x, int[] dx, int[] dy, boolean[] flip, Device device) {
        int n = (int) x.size(0);
        long c = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        int r = 0;
        for (int i = 0; i < n; i++) r = Math.max(r, Math.max(Math.abs(dx[i]), Math.abs(dy[i])));
        if (r >= h || r >= w) {
            throw new IllegalArgumentException("translate: " + r + " px on " + h + "x" + w + " images (expected: < the image side)");
        }
        Tensor padded = r == 0 ? x : torch.reflection_pad2d(x, r, r, r, r);
        long wp = w + 2L * r;
        long hp = h + 2L * r;
        long[] sx = new long[n];
        long[] sy = new long[n];
        long[] fl = new long[n];
        for (int i = 0; i < n; i++) {
            sx[i] = dx[i];
            sy[i] = dy[i];
            fl[i] = flip[i] ? 1 : 0;
        }
        var dev = new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long).device(
                new org.bytedeco.pytorch.DeviceOptional(device.toNative()));
        Tensor ys = torch.arange(new Scalar(h), dev).view(1, h, 1);
        Tensor xs = torch.arange(new Scalar(w), dev).view(1, 1, w);
        Tensor dxT = onDevice(Tensors.fromLongs(sx, n, 1, 1), device);
        Tensor dyT = onDevice(Tensors.fromLongs(sy, n, 1, 1), device);
        Tensor fT = onDevice(Tensors.fromLongs(fl, n, 1, 1), device);
        Tensor xx = xs.sub(dxT); // [N, 1, W]
        // flipped: (w - 1) - xx, i.e. xx + f * (w - 1 - 2 xx)
        Tensor xsrc = xx.add(fT.mul(xx.mul(new Scalar(-2)).add(new Scalar(w - 1))));
        Tensor idx = ys.sub(dyT).add(new Scalar(r)).mul(new Scalar(wp)).add(xsrc.add(new Scalar(r))); // [N, H, W]
        Tensor flat = padded.contiguous().reshape(n, c, hp * wp);
        Tensor gathered = torch.gather(flat, 2, idx.reshape(n, 1, h * w).expand(n, c, h * w));
        return gathered.reshape(n, c, h, w);
    }

    /**
     * Shifts a whole batch by {@code dx} along dimension {@code wDim} and {@code dy} along
     * {@code hDim} (any dtype and layout, e.g. uint8 NHWC or float NCHW), reflecting at the edges.
     */
    public static Tensor shift(Tensor x, long hDim, long wDim, int dx, int dy) {
        Tensor y = x;
        if (dy != 0) y = y.index_select(hDim, reflectIndex(y.size(hDim), dy, y));
        if (dx != 0) y = y.index_select(wDim, reflectIndex(y.size(wDim), dx, y));
        return y == x ? x : y.contiguous();
    }

    /** Source index of each output position for a shift of {@code s}, reflected into [0, size). */
    static long[] reflectIndices(long size, int s) {
        if (Math.abs(s) >= size) {
            throw new IllegalArgumentException("shift: " + s + " px on a side of " + size + " (expected: < the side)");
        }
        long[] idx = new long[(int) size];
        for (int j = 0; j < size; j++) {
            long v = j - s;
            if (v < 0) v = -v;
            if (v > size - 1) v = 2 * (size - 1) - v;
            idx[j] = v;
        }
        return idx;
    }

    private static Tensor reflectIndex(long size, int s, Tensor like) {
        long[] idx = reflectIndices(size, s);
        Tensor cpu = Tensors.fromLongs(idx, idx.length);
        return like.is_cuda() ? cpu.to(like.device(), torch.ScalarType.Long) : cpu;
    }

    private static Tensor onDevice(Tensor cpu, Device device) {
        return device.isCuda() ? cpu.to(device.toNative(), torch.ScalarType.Long) : cpu;
    }

    /**
     * The flip of the image with ID {@code id} at {@code epoch} under {@code flip_mode: alternate}:
     * a fixed pseudo-random choice per ID at epoch 0, inverted every epoch after, so every image is
     * seen flipped in exactly one of any two consecutive epochs (airbench's alternating flip).
     */
    public static boolean alternateFlip(String id, int epoch) {
        long z = id.hashCode() * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return ((z & 1) == 1) ^ ((epoch & 1) == 1);
    }
}
