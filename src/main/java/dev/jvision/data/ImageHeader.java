package dev.jvision.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Image dimensions from the file header, without decoding pixels: JPEG (walking the segments to
 * the frame header), PNG, GIF, BMP and WebP; other formats are decoded with OpenCV. Also
 * catches the usual truncation: a JPEG without its end marker, a PNG without its IEND chunk.
 * Reads a few hundred bytes per file in the common case.
 *
 * <p>Stateless; thread-safe.
 */
public final class ImageHeader {
    private static final int TAIL = 1024;

    private ImageHeader() {}

    /**
     * Width and height of the image in {@code file}.
     *
     * @return {@code {width, height}}
     * @throws IOException naming the file when it is missing, empty, truncated or not an image
     */
    public static int[] dimensions(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new IOException(file + ": " + Manifest.EMPTY);
            ByteBuffer head = read(ch, 0, (int) Math.min(size, 64));
            int[] wh;
            if (u8(head, 0) == 0xFF && u8(head, 1) == 0xD8) {
                wh = jpeg(ch, size, file);
                if (!tailHas(ch, size, (byte) 0xFF, (byte) 0xD9)) {
                    throw new IOException(file + ": cannot decode image (truncated JPEG: no end marker)");
                }
            } else if (size >= 24 && u8(head, 0) == 0x89 && head.get(1) == 'P' && head.get(2) == 'N' && head.get(3) == 'G') {
                wh = new int[] {head.getInt(16), head.getInt(20)};
                ByteBuffer end = read(ch, Math.max(0, size - 12), (int) Math.min(12, size));
                if (end.remaining() < 12 || end.get(4) != 'I' || end.get(5) != 'E' || end.get(6) != 'N' || end.get(7) != 'D') {
                    throw new IOException(file + ": cannot decode image (truncated PNG: no IEND chunk)");
                }
            } else if (size >= 10 && head.get(0) == 'G' && head.get(1) == 'I' && head.get(2) == 'F') {
                wh = new int[] {u16le(head, 6), u16le(head, 8)};
            } else if (size >= 26 && head.get(0) == 'B' && head.get(1) == 'M') {
                wh = new int[] {Math.abs(s32le(head, 18)), Math.abs(s32le(head, 22))};
            } else if (size >= 30 && head.get(0) == 'R' && head.get(1) == 'I' && head.get(8) == 'W' && head.get(9) == 'E') {
                wh = webp(head, file);
            } else {
                return Images.probeSize(file);
            }
            if (wh[0] <= 0 || wh[1] <= 0) {
                throw new IOException(file + ": cannot decode image (header gives " + wh[0] + "x" + wh[1] + ")");
            }
            return wh;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, Manifest.MISSING);
        }
    }

    private static int[] jpeg(FileChannel ch, long size, Path file) throws IOException {
        long pos = 2;
        while (pos + 4 <= size) {
            ByteBuffer m = read(ch, pos, 4);
            if (m.remaining() < 4 || u8(m, 0) != 0xFF) break;
            int marker = u8(m, 1);
            if (marker == 0xFF) { // fill byte
                pos++;
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            int len = ((m.get(2) & 0xFF) << 8) | (m.get(3) & 0xFF);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                ByteBuffer f = read(ch, pos + 4, 5);
                if (f.remaining() < 5) break;
                return new int[] {((f.get(3) & 0xFF) << 8) | (f.get(4) & 0xFF), ((f.get(1) & 0xFF) << 8) | (f.get(2) & 0xFF)};
            }
            if (marker == 0xDA || marker == 0xD9 || len < 2) break; // scan data before any frame header
            pos += 2 + len;
        }
        throw new IOException(file + ": cannot decode image (JPEG without a frame header)");
    }

    private static int[] webp(ByteBuffer h, Path file) throws IOException {
        String chunk = new String(new byte[] {h.get(12), h.get(13), h.get(14), h.get(15)}, java.nio.charset.StandardCharsets.US_ASCII);
        switch (chunk) {
            case "VP8 " -> {
                return new int[] {u16le(h, 26) & 0x3FFF, u16le(h, 28) & 0x3FFF};
            }
            case "VP8L" -> {
                int b0 = u8(h, 21), b1 = u8(h, 22), b2 = u8(h, 23), b3 = u8(h, 24);
                return new int[] {1 + (((b1 & 0x3F) << 8) | b0), 1 + (((b3 & 0xF) << 10) | (b2 << 2) | ((b1 & 0xC0) >> 6))};
            }
            case "VP8X" -> {
                return new int[] {1 + (u8(h, 24) | (u8(h, 25) << 8) | (u8(h, 26) << 16)),
                        1 + (u8(h, 27) | (u8(h, 28) << 8) | (u8(h, 29) << 16))};
            }
            default -> throw new IOException(file + ": cannot decode image (unknown WebP chunk '" + chunk + "')");
        }
    }

    /** Whether the last {@link #TAIL} bytes contain {@code a} followed by {@code b}. */
    static boolean tailHas(FileChannel ch, long size, byte a, byte b) throws IOException {
        int n = (int) Math.min(size, TAIL);
        ByteBuffer t = read(ch, size - n, n);
        for (int i = t.limit() - 2; i >= 0; i--) if (t.get(i) == a && t.get(i + 1) == b) return true;
        return false;
    }

    private static ByteBuffer read(FileChannel ch, long pos, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) break;
        }
        b.flip();
        return b;
    }

    private static int u8(ByteBuffer b, int i) {
        return i < b.limit() ? b.get(i) & 0xFF : -1;
    }

    private static int u16le(ByteBuffer b, int i) {
        return (b.get(i) & 0xFF) | ((b.get(i + 1) & 0xFF) << 8);
    }

    private static int s32le(ByteBuffer b, int i) {
        return (b.get(i) & 0xFF) | ((b.get(i + 1) & 0xFF) << 8) | ((b.get(i + 2) & 0xFF) << 16) | (b.get(i + 3) << 24);
    }
}
