package dev.jvision.runtime;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Copies between Java arrays and CPU tensors. Tensors returned belong to the caller (or its
 * open scope). Stateless and thread-safe.
 */
public final class Tensors {
    private Tensors() {}

    /** A new uint8 CPU tensor of {@code shape} holding a copy of {@code data}. */
    public static Tensor fromBytes(byte[] data, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Byte), new MemoryFormatOptional());
        checkSize(t, data.length);
        if (data.length > 0) {
            t.data_ptr_byte().put(data, 0, data.length);
        }
        return t;
    }

    /** A new float32 CPU tensor of {@code shape} holding a copy of {@code data}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Float), new MemoryFormatOptional());
        checkSize(t, data.length);
        if (data.length > 0) {
            new FloatPointer(t.data_ptr()).put(data, 0, data.length);
        }
        return t;
    }

    /** A new int64 CPU tensor of {@code shape} holding a copy of {@code data}. */
    public static Tensor fromLongs(long[] data, long... shape) {
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Long), new MemoryFormatOptional());
        checkSize(t, data.length);
        if (data.length > 0) {
            new LongPointer(t.data_ptr()).put(data, 0, data.length);
        }
        return t;
    }

    /** An int64 vector of {@code data}. */
    public static Tensor fromInts(int[] data) {
        long[] l = new long[data.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = data[i];
        }
        return fromLongs(l, l.length);
    }

    /** The elements of {@code t} (any device/dtype) as float32, in row-major order. */
    public static float[] toFloats(Tensor t) {
        try (Tensor c = t.to(new Device(torch.DeviceType.CPU), torch.ScalarType.Float).contiguous()) {
            float[] out = new float[(int) c.numel()];
            if (out.length > 0) {
                new FloatPointer(c.data_ptr()).get(out);
            }
            return out;
        }
    }

    /** The elements of {@code t} (any device/dtype) as float64, in row-major order. */
    public static double[] toDoubles(Tensor t) {
        try (Tensor c = t.to(new Device(torch.DeviceType.CPU), torch.ScalarType.Double).contiguous()) {
            double[] out = new double[(int) c.numel()];
            if (out.length > 0) {
                new org.bytedeco.javacpp.DoublePointer(c.data_ptr()).get(out);
            }
            return out;
        }
    }

    /** The elements of {@code t} as int64. */
    public static long[] toLongs(Tensor t) {
        try (Tensor c = t.to(new Device(torch.DeviceType.CPU), torch.ScalarType.Long).contiguous()) {
            long[] out = new long[(int) c.numel()];
            if (out.length > 0) {
                new LongPointer(c.data_ptr()).get(out);
            }
            return out;
        }
    }

    /** The shape of {@code t}. */
    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    private static void checkSize(Tensor t, long n) {
        if (t.numel() != n) {
            throw new IllegalArgumentException("data has " + n + " elements (expected: " + t.numel() + " for the shape)");
        }
    }

}
