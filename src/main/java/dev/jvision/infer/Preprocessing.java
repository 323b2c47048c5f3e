package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.data.Images;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Tensors;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The one path from an image to a model's output in jvision inference, shared by
 * {@link Predictor}, {@link EnsemblePredictor}, {@link FolderInference} and {@link Classifier}
 * (and the same as training's validation): decode with {@link Images} (RGB, grayscale to 3
 * channels, alpha over white), resize to a square with {@link Images#resize}, stack as a uint8
 * NHWC batch, copy it to the device once, then per TTA view flip/turn the uint8 pixels, apply the
 * evaluation {@link BatchTransform} (scale to [0, 1], normalise with the checkpoint's mean and
 * std) and rescale, and run the model.
 *
 * <p>Stateless and thread-safe; decoding may run on many threads at once. Tensors returned
 * belong to the caller's {@code PointerScope}; arrays returned are new and owned by the caller.
 */
public final class Preprocessing {
    private Preprocessing() {}

    /**
     * Decodes an image at its own size. Accepts a {@link Path} (an image file), a {@code byte[]}
     * (an encoded image in any format OpenCV reads), a {@link BufferedImage} or an already
     * decoded {@link Images.Rgb}.
     *
     * @param what names the image in messages when it is not a file
     * @throws IOException naming the file or {@code what} when it cannot be read or decoded
     * @throws IllegalArgumentException for null or any other type
     */
    public static Images.Rgb decode(Object image, String what) throws IOException {
        if (image instanceof Path p) {
            return Images.decode(p);
        }
        if (image instanceof byte[] b) {
            return Images.decode(b, what);
        }
        if (image instanceof BufferedImage bi) {
            return Images.fromBufferedImage(bi);
        }
        if (image instanceof Images.Rgb rgb) {
            return rgb;
        }
        throw new IllegalArgumentException(what + ": " + (image == null ? "null" : image.getClass().getName())
                + " (expected: a Path, an encoded image byte[] or a BufferedImage)");
    }

    /** {@link #decode} then {@link Images#resize} to {@code size x size}: HWC RGB uint8 pixels. */
    public static byte[] pixels(Object image, int size, String what) throws IOException {
        if (image instanceof Path p) {
            return Images.loadResized(p, size);
        }
        return Images.resize(decode(image, what), size);
    }

    /** The HWC pixels of {@code images} (each {@code h*w*3} bytes) as a uint8 NHWC batch on {@code device}. */
    public static Tensor upload(List<byte[]> images, int h, int w, Device device) {
        int plane = h * w * 3;
        byte[] all = new byte[images.size() * plane];
        for (int i = 0; i < images.size(); i++) {
            byte[] px = images.get(i);
            if (px.length != plane) {
                throw new IllegalArgumentException("image " + i + ": " + px.length + " bytes (expected: " + plane
                        + " for " + w + "x" + h + " RGB)");
            }
            System.arraycopy(px, 0, all, i * plane, plane);
        }
        return upload(all, images.size(), h, w, device);
    }

    /** {@code n} HWC images packed in {@code pixels} as a uint8 NHWC batch on {@code device}. */
    public static Tensor upload(byte[] pixels, int n, int h, int w, Device device) {
        Tensor cpu = Tensors.fromBytes(pixels, n, h, w, 3);
        return !device.isCuda() ? cpu : cpu.to(device.toNative(), torch.ScalarType.Byte);
    }

    /**
     * The model's logits for one TTA view of a uint8 NHWC batch already on the model's device:
     * flips/turns on the pixels, the evaluation transform, the view's rescale, then the forward
     * pass. The caller holds a {@code NoGradGuard} and a scope.
     */
    public static Tensor logits(ImageModel model, BatchTransform transform, Tensor uint8Nhwc, Tta.View view) {
        Tensor in = Tta.applyScale(transform.eval(Tta.applyPixels(uint8Nhwc, view)), view);
        return model.forward(in);
    }
}
