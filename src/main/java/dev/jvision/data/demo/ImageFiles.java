package dev.jvision.data.demo;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * In-memory JPEG encoding/decoding with an explicit quality (no ImageIO disk cache). A fresh
 * {@link ImageWriter} per call, so this is thread-safe.
 */
final class ImageFiles {
  private ImageFiles() {}

  static byte[] encodeJpeg(BufferedImage img, float quality) throws IOException {
    Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg");
    if (!it.hasNext()) {
      throw new IOException("no ImageIO JPEG writer available");
    }
    ImageWriter writer = it.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.setOutput(out);
      writer.write(null, new IIOImage(img, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  static BufferedImage decode(byte[] data) throws IOException {
    // ImageIO.read closes the stream itself.
    BufferedImage raw = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(data)));
    if (raw == null) {
      throw new IOException("undecodable image (" + data.length + " bytes)");
    }
    if (raw.getType() == BufferedImage.TYPE_INT_RGB) {
      return raw;
    }
    BufferedImage rgb = new BufferedImage(raw.getWidth(), raw.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(raw, 0, 0, null);
    return rgb;
  }
}
