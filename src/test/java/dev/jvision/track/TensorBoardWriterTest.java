package dev.jvision.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {
    @TempDir
    Path dir;

    @Test
    void scalars_readBackWithValidFramingAndCrc() throws IOException {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.scalar("fold0/train_loss", 1.25, 1);
            w.scalar("fold0/val_f1", 0.5, 1);
            w.scalar("fold0/train_loss", 0.75, 300);
            file = w.file();
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."));
        TensorBoardReader.Events ev = TensorBoardReader.read(file);
        assertEquals("brain.Event:2", ev.fileVersion());
        assertEquals(4, ev.records());
        assertEquals(List.of(new TensorBoardReader.Scalar("fold0/train_loss", 1, 1.25f),
                new TensorBoardReader.Scalar("fold0/val_f1", 1, 0.5f),
                new TensorBoardReader.Scalar("fold0/train_loss", 300, 0.75f)), ev.scalars());
        // first record by hand: length, masked CRC of the length, data, masked CRC of the data
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long len = b.getLong();
        assertEquals(TensorBoardWriter.maskedCrc(all, 0, 8), b.getInt());
        String data = new String(all, 12, (int) len, StandardCharsets.ISO_8859_1);
        assertTrue(data.contains("brain.Event:2"));
        b.position(12 + (int) len);
        assertEquals(TensorBoardWriter.maskedCrc(all, 12, (int) len), b.getInt());
    }

    @Test
    void maskedCrc_matchesTensorFlowReferenceValue() {
        // crc32c("123456789") = 0xE3069283 (RFC 3720); masked = rotr15 + 0xa282ead8
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }

    @Test
    void read_corruptedRecord_failsNamingTheOffset() throws IOException {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.scalar("x", 1, 1);
            file = w.file();
        }
        byte[] all = Files.readAllBytes(file);
        all[all.length - 6] ^= 1;
        Files.write(file, all);
        IOException e = assertThrows(IOException.class, () -> TensorBoardReader.read(file));
        assertTrue(e.getMessage().contains("bad data CRC"), e.getMessage());
    }
}
