package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    private static Tensor cast(Tensor t, torch.ScalarType type) {
        return t.to(Device.CPU.toNative(), type);
    }

    @Test
    void roundTrip_f32F16Bf16I64U8_withMetadata() throws IOException {
        Path f = dir.resolve("t.safetensors");
        float[] vals = {0f, 1.5f, -2.25f, 1024f, 0.125f, -0.5f};
        try (var s = Memory.step()) {
            Tensor f32 = Tensors.fromFloats(vals, 2, 3);
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("a.f32", f32);
            in.put("b.f16", cast(f32, torch.ScalarType.Half));
            in.put("c.bf16", cast(f32, torch.ScalarType.BFloat16));
            in.put("d.i64", Tensors.fromLongs(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 4));
            in.put("e.u8", Tensors.fromBytes(new byte[] {0, 1, (byte) 255}, 3, 1));
            in.put("f.scalar", Tensors.fromLongs(new long[] {42}));
            in.put("g.empty", torch.empty(0, 3));
            in.put("h.noncontig", f32.t());
            SafeTensors.write(f, in, Map.of("format", "pt", "epoch", "3"));

            try (SafeTensors.Contents c = SafeTensors.read(f)) {
                assertEquals(Map.of("format", "pt", "epoch", "3"), c.metadata());
                assertEquals(List.copyOf(in.keySet()), List.copyOf(c.tensors().keySet()));
                for (var e : in.entrySet()) {
                    Tensor got = c.tensors().get(e.getKey());
                    assertArrayEquals(Tensors.shape(e.getValue()), Tensors.shape(got), e.getKey());
                    assertEquals(SafeTensors.dtypeName(e.getValue().scalar_type()), SafeTensors.dtypeName(got.scalar_type()), e.getKey());
                    assertTrue(got.equal(e.getValue()), e.getKey());
                }
                assertArrayEquals(vals, Tensors.toFloats(c.tensors().get("b.f16")), "these values are exact in F16");
                assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, Tensors.toLongs(c.tensors().get("d.i64")));
                assertArrayEquals(new float[] {0, 1, 255}, Tensors.toFloats(c.tensors().get("e.u8")));
                assertArrayEquals(new float[] {0f, 1024f, 1.5f, 0.125f, -2.25f, -0.5f}, Tensors.toFloats(c.tensors().get("h.noncontig")));
            }
        }
        assertHeaderAligned(f);
    }

    @Test
    void write_withoutMetadata_hasNoMetadataEntry() throws IOException {
        Path f = dir.resolve("plain.safetensors");
        try (var s = Memory.step()) {
            SafeTensors.write(f, Map.of("x", Tensors.fromFloats(new float[] {1, 2}, 2)), null);
            try (SafeTensors.Contents c = SafeTensors.read(f)) {
                assertEquals(Map.of(), c.metadata());
            }
        }
        assertFalse(header(f).contains("__metadata__"));
    }

    private static String header(Path f) throws IOException {
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(all, 8, (int) n, StandardCharsets.UTF_8);
    }

    private static void assertHeaderAligned(Path f) throws IOException {
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
    }

    private Path writeOne() throws IOException {
        Path f = dir.resolve("w.safetensors");
        try (var s = Memory.step()) {
            SafeTensors.write(f, Map.of("w", Tensors.fromFloats(new float[64], 8, 8)), Map.of());
        }
        return f;
    }

    private static void assertIoErrorNaming(Path f, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(f).close());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String frag : fragments) {
            assertTrue(e.getMessage().contains(frag), "'" + frag + "' in: " + e.getMessage());
        }
    }

    @Test
    void truncatedFile_namesTheFile() throws IOException {
        Path f = writeOne();
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 10));
        assertIoErrorNaming(f, "'w'", "data_offsets");
        Files.write(f, Arrays.copyOf(all, 5));
        assertIoErrorNaming(f, "5 bytes");
        Files.write(f, Arrays.copyOf(all, 20)); // cut inside the header
        assertIoErrorNaming(f, "header length");
    }

    @Test
    void headerLengthBeyondFile_namesTheFile() throws IOException {
        Path f = writeOne();
        byte[] all = Files.readAllBytes(f);
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, all.length + 100L);
        Files.write(f, all);
        assertIoErrorNaming(f, "header length " + (all.length + 100L));
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -8);
        Files.write(f, all);
        assertIoErrorNaming(f, "header length");
    }

    @Test
    void badDtype_namesFileTensorAndDtype() throws IOException {
        Path f = dir.resolve("bad.safetensors");
        writeRaw(f, "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        assertIoErrorNaming(f, "'x'", "F8_E4M3");
    }

    @Test
    void malformedHeader_namesTheFile() throws IOException {
        Path f = dir.resolve("json.safetensors");
        writeRaw(f, "{\"x\": [", new byte[0]);
        assertIoErrorNaming(f, "header");
        writeRaw(f, "[1, 2]", new byte[0]);
        assertIoErrorNaming(f, "JSON object");
        writeRaw(f, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]);
        assertIoErrorNaming(f, "data_offsets");
        writeRaw(f, "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertIoErrorNaming(f, "'x'", "12 bytes");
    }

    @Test
    void missingFile_isNoSuchFile() {
        Path f = dir.resolve("absent.safetensors");
        var e = assertThrows(java.nio.file.NoSuchFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    private static void writeRaw(Path f, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(f, b.array());
    }

    @Test
    void write_isAtomic_replacesExistingAndLeavesNoTempFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.writeString(f, "old contents");
        try (var s = Memory.step()) {
            SafeTensors.write(f, Map.of("x", Tensors.fromFloats(new float[] {3, 4}, 2)), Map.of("v", "2"));
        }
        try (SafeTensors.Contents c = SafeTensors.read(f)) {
            assertEquals("2", c.metadata().get("v"));
            assertArrayEquals(new float[] {3, 4}, Tensors.toFloats(c.tensors().get("x")));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "only the target is left in the folder");
        }
        // a failed write (unsupported dtype) keeps the old file and leaves no temp file
        byte[] before = Files.readAllBytes(f);
        try (var s = Memory.step()) {
            Tensor cplx = Tensors.fromFloats(new float[] {1, 2}, 2).to(Device.CPU.toNative(), torch.ScalarType.ComplexFloat);
            assertThrows(UnsupportedOperationException.class, () -> SafeTensors.write(f, Map.of("c", cplx), null));
        }
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
        // into a folder that does not exist yet
        Path nested = dir.resolve("a/b/c.safetensors");
        try (var s = Memory.step()) {
            SafeTensors.write(nested, Map.of("x", Tensors.fromFloats(new float[] {1}, 1)), null);
        }
        assertTrue(Files.isRegularFile(nested));
    }
}
