package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxImportTest {
    @TempDir
    Path tmp;

    /** n images of h x w with pixel (i, p) = 10 i + p, labels i % 3. */
    private static void write(Path dir, String prefix, int n, int h, int w, boolean gz) throws IOException {
        ByteArrayOutputStream img = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(img);
        d.writeInt(0x803);
        d.writeInt(n);
        d.writeInt(h);
        d.writeInt(w);
        for (int i = 0; i < n; i++) for (int p = 0; p < h * w; p++) d.writeByte(10 * i + p);
        ByteArrayOutputStream lbl = new ByteArrayOutputStream();
        DataOutputStream l = new DataOutputStream(lbl);
        l.writeInt(0x801);
        l.writeInt(n);
        for (int i = 0; i < n; i++) l.writeByte(i % 3);
        save(dir.resolve(prefix + "-images-idx3-ubyte" + (gz ? ".gz" : "")), img.toByteArray(), gz);
        save(dir.resolve(prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), lbl.toByteArray(), gz);
    }

    private static void save(Path p, byte[] b, boolean gz) throws IOException {
        try (OutputStream o = gz ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(b);
        }
    }

    @Test
    void convert_writesTheCompetitionLayout() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("idx"));
        write(src, "train", 5, 2, 3, true);
        write(src, "t10k", 2, 2, 3, false);
        IdxImport.Summary s = IdxImport.convert(src, tmp.resolve("out"), List.of("a", "b", "c"), 2);
        assertEquals(new IdxImport.Summary(tmp.resolve("out"), 5, 2, 2, 3, 3), s);
        Path out = tmp.resolve("out");
        assertEquals(List.of("ID,target", "train_00000.png,0", "train_00001.png,1", "train_00002.png,2",
                "train_00003.png,0", "train_00004.png,1"), Files.readAllLines(out.resolve("train.csv")));
        assertEquals(List.of("ID,target", "test_00000.png,0", "test_00001.png,0"),
                Files.readAllLines(out.resolve("sample_submission.csv")));
        assertEquals(List.of("ID,target", "test_00000.png,0", "test_00001.png,1"),
                Files.readAllLines(out.resolve("test_labels.csv")));
        assertEquals(List.of("target,class_name", "0,a", "1,b", "2,c"), Files.readAllLines(out.resolve("meta.csv")));
        BufferedImage img = ImageIO.read(out.resolve("train/train_00003.png").toFile());
        assertEquals(3, img.getWidth());
        assertEquals(2, img.getHeight());
        assertEquals(30 + 4, img.getRaster().getSample(1, 1, 0), "pixel (y 1, x 1) of image 3");
    }

    @Test
    void badFiles_areNamed() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("idx"));
        var e = assertThrows(IllegalArgumentException.class, () -> IdxImport.convert(src, tmp.resolve("o"), null, 1));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains("not found"), e.getMessage());
        write(src, "train", 3, 2, 2, false);
        write(src, "t10k", 1, 2, 2, false);
        Files.write(src.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 0, 1});
        e = assertThrows(IllegalArgumentException.class, () -> IdxImport.convert(src, tmp.resolve("o"), null, 1));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte") && e.getMessage().contains("2 labels"), e.getMessage());
        Files.write(src.resolve("train-images-idx3-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 0});
        e = assertThrows(IllegalArgumentException.class, () -> IdxImport.convert(src, tmp.resolve("o"), null, 1));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }
}
