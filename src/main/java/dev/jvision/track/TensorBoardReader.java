package dev.jvision.track;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the scalar summaries back from a TensorBoard event file written by
 * {@link TensorBoardWriter} (or TensorFlow), verifying every record's length and data CRC.
 * Stateless and thread-safe.
 */
public final class TensorBoardReader {
    private TensorBoardReader() {}

    /** One scalar: tag, step and value. */
    public record Scalar(String tag, long step, float value) {}

    /** Everything in a file: the file_version string and the scalars in order. */
    public record Events(String fileVersion, int records, List<Scalar> scalars) {}

    /** Reads {@code file}; a bad CRC or truncated record is an {@link IOException} naming the offset. */
    public static Events read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        String version = null;
        int records = 0;
        List<Scalar> scalars = new ArrayList<>();
        while (b.remaining() > 0) {
            int at = b.position();
            if (b.remaining() < 12) throw new IOException(file + ": truncated record header at byte " + at);
            long len = b.getLong();
            int lenCrc = b.getInt();
            if (lenCrc != TensorBoardWriter.maskedCrc(all, at, 8)) throw new IOException(file + ": bad length CRC at byte " + at);
            if (len < 0 || b.remaining() < len + 4) throw new IOException(file + ": truncated record at byte " + at);
            int start = b.position();
            b.position(start + (int) len);
            int dataCrc = b.getInt();
            if (dataCrc != TensorBoardWriter.maskedCrc(all, start, (int) len)) {
                throw new IOException(file + ": bad data CRC at byte " + at);
            }
            records++;
            // Event: 2 step (varint), 3 file_version (string), 5 summary (message)
            ByteBuffer ev = ByteBuffer.wrap(all, start, (int) len).slice().order(ByteOrder.LITTLE_ENDIAN);
            long step = 0;
            List<byte[]> summaries = new ArrayList<>();
            while (ev.hasRemaining()) {
                long key = varint(ev);
                int field = (int) (key >>> 3);
                int wt = (int) (key & 7);
                if (field == 2 && wt == 0) step = varint(ev);
                else if (field == 3 && wt == 2) version = new String(bytes(ev), StandardCharsets.UTF_8);
                else if (field == 5 && wt == 2) summaries.add(bytes(ev));
                else skip(ev, wt);
            }
            for (byte[] s : summaries) {
                ByteBuffer sb = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
                while (sb.hasRemaining()) {
                    long key = varint(sb);
                    if ((key >>> 3) == 1 && (key & 7) == 2) {
                        ByteBuffer vb = ByteBuffer.wrap(bytes(sb)).order(ByteOrder.LITTLE_ENDIAN);
                        String tag = null;
                        float value = Float.NaN;
                        while (vb.hasRemaining()) {
                            long k = varint(vb);
                            if ((k >>> 3) == 1 && (k & 7) == 2) tag = new String(bytes(vb), StandardCharsets.UTF_8);
                            else if ((k >>> 3) == 2 && (k & 7) == 5) value = vb.getFloat();
                            else skip(vb, (int) (k & 7));
                        }
                        scalars.add(new Scalar(tag, step, value));
                    } else {
                        skip(sb, (int) (key & 7));
                    }
                }
            }
        }
        return new Events(version, records, scalars);
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b.get() & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[(int) varint(b)];
        b.get(out);
        return out;
    }

    private static void skip(ByteBuffer b, int wireType) {
        switch (wireType) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> b.position(b.position() + (int) varint(b));
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType);
        }
    }
}
