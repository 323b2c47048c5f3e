package dev.jvision.track;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes TensorBoard event files ({@code events.out.tfevents.<secs>.<host>}): TFRecord framing
 * (length, masked CRC-32C of the length, {@code Event} protobuf, masked CRC-32C of the data)
 * holding a {@code file_version} event and then scalar summaries. The protobuf bytes are written
 * by hand (no protobuf dependency). Each record is flushed so a killed run keeps what it wrote.
 * Thread-safe (synchronized).
 */
public final class TensorBoardWriter implements AutoCloseable {
    private final Path file;
    private final OutputStream out;
    private boolean closed;

    /** Creates a new event file in {@code dir}. */
    public TensorBoardWriter(Path dir) throws IOException {
        Files.createDirectories(dir);
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        long secs = System.currentTimeMillis() / 1000;
        Path f = dir.resolve("events.out.tfevents." + secs + "." + host);
        for (int i = 1; Files.exists(f); i++) {
            f = dir.resolve("events.out.tfevents." + secs + "." + host + "." + i);
        }
        this.file = f;
        this.out = new BufferedOutputStream(Files.newOutputStream(f, StandardOpenOption.CREATE_NEW));
        ByteArrayOutputStream ev = new ByteArrayOutputStream();
        wallTime(ev);
        writeTag(ev, 3, 2);
        writeBytes(ev, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        record(ev.toByteArray());
    }

    /** The event file. */
    public Path file() {
        return file;
    }

    /** Appends a scalar summary {@code tag = value} at {@code step}. */
    public synchronized void scalar(String tag, double value, long step) throws IOException {
        if (closed) throw new IllegalStateException("TensorBoardWriter is closed");
        ByteArrayOutputStream val = new ByteArrayOutputStream();
        writeTag(val, 1, 2);
        writeBytes(val, tag.getBytes(StandardCharsets.UTF_8));
        writeTag(val, 2, 5);
        val.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value).array());
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeTag(summary, 1, 2);
        writeBytes(summary, val.toByteArray());
        ByteArrayOutputStream ev = new ByteArrayOutputStream();
        wallTime(ev);
        writeTag(ev, 2, 0);
        writeVarint(ev, step);
        writeTag(ev, 5, 2);
        writeBytes(ev, summary.toByteArray());
        record(ev.toByteArray());
    }

    private static void wallTime(ByteArrayOutputStream ev) {
        writeTag(ev, 1, 1);
        ev.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(System.currentTimeMillis() / 1000.0).array());
    }

    private synchronized void record(byte[] data) throws IOException {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.write(len);
        out.write(le32(maskedCrc(len, 0, 8)));
        out.write(data);
        out.write(le32(maskedCrc(data, 0, data.length)));
        out.flush();
    }

    /** TFRecord's masked CRC-32C. */
    public static int maskedCrc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        int crc = (int) c.getValue();
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static void writeTag(ByteArrayOutputStream o, int field, int wireType) {
        writeVarint(o, ((long) field << 3) | wireType);
    }

    private static void writeBytes(ByteArrayOutputStream o, byte[] b) {
        writeVarint(o, b.length);
        o.writeBytes(b);
    }

    private static void writeVarint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        out.close();
    }
}
