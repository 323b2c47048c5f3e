package dev.jvision.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.runtime.NativeRuntime;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Reader and writer of the safetensors format (an 8-byte little-endian header length, a JSON
 * header of {@code name -> {dtype, shape, data_offsets}}, then raw little-endian data), so that
 * timm/Hugging Face {@code model.safetensors} files load without pickle. Supports F32, F64,
 * F16, BF16, I64, I32, I16, I8, U8 and BOOL. Stateless and thread-safe.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** A file's tensors (CPU, owned by the caller: close each, or use {@link #closeAll}) and metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        @Override
        public void close() {
            closeAll(tensors);
        }
    }

    /** Closes every tensor of {@code tensors}. */
    public static void closeAll(Map<String, Tensor> tensors) {
        tensors.values().forEach(Tensor::close);
    }

    /**
     * Reads {@code file} (memory-mapped) into CPU tensors.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws IOException when reading fails
     * @throws IllegalArgumentException naming the file and what is malformed (truncated, not a
     *         safetensors file, bad header, unsupported dtype): bad input, as any other
     */
    public static Contents read(Path file) throws IOException {
        NativeRuntime.init();
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "weights file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException(file + ": not a safetensors file (" + size + " bytes; expected an 8-byte header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IllegalArgumentException(file + ": not a safetensors file (header length " + headerLen
                        + " does not fit a file of " + size + " bytes)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            ch.read(headerBuf, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": malformed safetensors header: " + e.getMessage(), e);
            }
            if (header == null || !header.isObject()) {
                throw new IllegalArgumentException(file + ": malformed safetensors header (expected a JSON object)");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            MappedByteBuffer data = dataLen > 0 ? ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen) : null;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            try {
                Iterator<Map.Entry<String, JsonNode>> it = header.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getKey().equals("__metadata__")) {
                        e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                        continue;
                    }
                    tensors.put(e.getKey(), readTensor(file, e.getKey(), e.getValue(), data, dataLen));
                }
            } catch (IOException | RuntimeException ex) {
                closeAll(tensors);
                throw ex;
            }
            return new Contents(tensors, metadata);
        }
    }

    private static Tensor readTensor(Path file, String name, JsonNode spec, MappedByteBuffer data, long dataLen) throws IOException {
        String dtype = spec.path("dtype").asText("");
        torch.ScalarType type = scalarType(dtype);
        if (type == null) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' has dtype '" + dtype
                    + "' (expected one of F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
        JsonNode shapeNode = spec.path("shape");
        JsonNode offsets = spec.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' lacks shape or data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            numel *= shape[i];
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        long expected = numel * elementSize(dtype);
        if (begin < 0 || end < begin || end > dataLen || end - begin != expected) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' data_offsets [" + begin + ", " + end
                    + "] do not hold " + expected + " bytes within " + dataLen + " data bytes");
        }
        Tensor t = torch.empty(shape, new TensorOptions(type), new org.bytedeco.pytorch.MemoryFormatOptional());
        if (expected > 0) {
            ByteBuffer slice = data.slice((int) begin, (int) expected);
            try (BytePointer src = new BytePointer(slice)) {
                // data_ptr_byte() checks for uint8: take the untyped pointer for every dtype
                Pointer.memcpy(t.data_ptr(), src, expected);
            }
        }
        return t;
    }

    /** Writes {@code tensors} (any device; copied to CPU) atomically: temp file, then rename. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        NativeRuntime.init();
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        Map<String, Tensor> cpu = new LinkedHashMap<>();
        try {
            long offset = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor src = e.getValue();
                Tensor c = src.to(new org.bytedeco.pytorch.Device(torch.DeviceType.CPU), src.scalar_type()).contiguous();
                cpu.put(e.getKey(), c);
                ObjectNode spec = header.putObject(e.getKey());
                spec.put("dtype", dtypeName(c.scalar_type()));
                var shape = spec.putArray("shape");
                for (int i = 0; i < c.dim(); i++) {
                    shape.add(c.size(i));
                }
                long n = c.nbytes();
                spec.putArray("data_offsets").add(offset).add(offset + n);
                offset += n;
            }
            byte[] headerBytes = JSON.writeValueAsBytes(header);
            int padded = (headerBytes.length + 7) / 8 * 8;
            byte[] h = new byte[padded];
            java.util.Arrays.fill(h, (byte) ' ');
            System.arraycopy(headerBytes, 0, h, 0, headerBytes.length);
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(h);
                byte[] chunk = new byte[1 << 20];
                for (Tensor c : cpu.values()) {
                    long n = c.nbytes();
                    if (n == 0) {
                        continue;
                    }
                    // data_ptr_byte() checks for uint8: view the untyped pointer as bytes
                    BytePointer p = new BytePointer(c.data_ptr()).capacity(n);
                    for (long pos = 0; pos < n; pos += chunk.length) {
                        int k = (int) Math.min(chunk.length, n - pos);
                        p.position(pos).get(chunk, 0, k);
                        out.write(chunk, 0, k);
                    }
                    p.position(0);
                }
            } catch (IOException | RuntimeException ex) {
                Files.deleteIfExists(tmp);
                throw ex;
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            closeAll(cpu);
        }
    }

    static torch.ScalarType scalarType(String dtype) {
        return switch (dtype) {
            case "F32" -> torch.ScalarType.Float;
            case "F64" -> torch.ScalarType.Double;
            case "F16" -> torch.ScalarType.Half;
            case "BF16" -> torch.ScalarType.BFloat16;
            case "I64" -> torch.ScalarType.Long;
            case "I32" -> torch.ScalarType.Int;
            case "I16" -> torch.ScalarType.Short;
            case "I8" -> torch.ScalarType.Char;
            case "U8" -> torch.ScalarType.Byte;
            case "BOOL" -> torch.ScalarType.Bool;
            default -> null;
        };
    }

    static long elementSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            default -> 1;
        };
    }

    static String dtypeName(torch.ScalarType t) {
        // enums coming back from native code are not the Java constants: compare by name
        return switch (t.intern().name()) {
            case "Float" -> "F32";
            case "Double" -> "F64";
            case "Half" -> "F16";
            case "BFloat16" -> "BF16";
            case "Long" -> "I64";
            case "Int" -> "I32";
            case "Short" -> "I16";
            case "Char" -> "I8";
            case "Byte" -> "U8";
            case "Bool" -> "BOOL";
            default -> throw new UnsupportedOperationException("dtype " + t + " cannot be written to safetensors");
        };
    }
}
