package dev.jvision.detect;

import dev.jvision.augment.detect.Letterbox;
import dev.jvision.data.Dataset;
import dev.jvision.data.Images;
import dev.jvision.data.detection.BoxLabel;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.data.detection.DetectionDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.jvision.runtime.Memory;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import dev.jvision.runtime.Tensors;

/**
 * A {@link DetectionDataset} as the trainer's {@link Dataset}: item {@code i} is image {@code i}
 * letterboxed to {@code size x size} ({@link Letterbox}, grey 114 padding; the loader then leaves it as it is) and
 * {@link #boxes(int)} its ground truth in those square pixels, rows {@code [class, x1, y1, x2, y2]}
 * (crowd regions left out). {@link #label} is 0 for every item (detection has no image class).
 * Also maps predictions back to original pixels and COCO category ids for scoring.
 *
 * <p>Immutable and thread-safe (each {@link #get} reads its file).
 */
public final class DetectionImages implements Dataset {
    private final DetectionDataset data;
    private final int size;
    private final Letterbox.Placement[] boxes;
    private volatile CocoInstances groundTruth;

    /**
     * @param data the validated images and boxes
     * @param size the square side the images are letterboxed to (a multiple of 32 for the detector)
     */
    public DetectionImages(DetectionDataset data, int size) {
        this.data = data;
        this.size = size;
        this.boxes = new Letterbox.Placement[data.items().size()];
        for (int i = 0; i < boxes.length; i++) {
            DetectionDataset.Item it = data.items().get(i);
            boxes[i] = plan(it.width(), it.height(), size);
        }
    }

    /** The square letterbox of a {@code width x height} image (enlarged when smaller). */
    public static Letterbox.Placement plan(int width, int height, int size) {
        return Letterbox.plan(width, height, size, 32, false, true);
    }

    /** The letterboxed pixels of {@code img}: HWC RGB, {@code size * size * 3} bytes. */
    public static byte[] letterbox(Images.Rgb img, int size) {
        Letterbox.Placement p = plan(img.w(), img.h(), size);
        if (img.w() == size && img.h() == size) {
            return img.pixels().clone();
        }
        try (var scope = Memory.step()) {
            Tensor t = Letterbox.apply(Tensors.fromBytes(img.pixels(), img.h(), img.w(), 3), p, Letterbox.DEFAULT_PAD)
                    .contiguous();
            byte[] out = new byte[size * size * 3];
            new BytePointer(t.data_ptr()).get(out);
            return out;
        }
    }

    /** The underlying data set. */
    public DetectionDataset data() {
        return data;
    }

    /** The square side of the items. */
    public int imageSize() {
        return size;
    }

    /** Number of classes of the data. */
    public int numClasses() {
        return data.classNames().size();
    }

    @Override
    public int size() {
        return boxes.length;
    }

    @Override
    public Item get(int index) throws IOException {
        Path file = data.items().get(index).image();
        return Item.rgb(letterbox(Images.decode(file), size), size, size, 0);
    }

    @Override
    public int label(int index) {
        return 0;
    }

    @Override
    public String id(int index) {
        return Long.toString(data.items().get(index).imageId());
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    /** The letterbox of item {@code index}. */
    public Letterbox.Placement placement(int index) {
        return boxes[index];
    }

    /** Item {@code index}'s boxes in square pixels, rows {@code [class, x1, y1, x2, y2]}, crowd regions left out. */
    public List<float[]> boxes(int index) {
        Letterbox.Placement lb = boxes[index];
        double sx = lb.scaleX();
        double sy = lb.scaleY();
        List<float[]> out = new ArrayList<>();
        for (BoxLabel b : data.items().get(index).boxes()) {
            if (!b.crowd()) {
                out.add(new float[] {b.classId(), (float) (b.x1() * sx + lb.padLeft()), (float) (b.y1() * sy + lb.padTop()),
                        (float) (b.x2() * sx + lb.padLeft()), (float) (b.y2() * sy + lb.padTop())});
            }
        }
        return out;
    }

    /**
     * COCO result entries of item {@code index} from detections in square pixels, rows
     * {@code [x1, y1, x2, y2, score, class]} ({@code count} of them from {@code offset} in {@code row}).
     */
    public List<CocoResults.Entry> entries(int index, float[] row, int offset, int count) {
        Letterbox.Placement lb = boxes[index];
        long[] cats = data.categoryIds();
        long imageId = data.items().get(index).imageId();
        List<CocoResults.Entry> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int o = offset + 6 * k;
            float[] b = lb.toOriginal(new float[] {row[o], row[o + 1], row[o + 2], row[o + 3]});
            float x1 = b[0];
            float y1 = b[1];
            float x2 = b[2];
            float y2 = b[3];
            int cls = (int) row[o + 5];
            if (cls < 0 || cls >= cats.length) {
                continue;
            }
            out.add(new CocoResults.Entry(imageId, cats[cls], x1, y1, x2 - x1, y2 - y1, row[o + 4]));
        }
        return out;
    }

    /** The ground truth as COCO instances (built once, through a temporary file). */
    public CocoInstances groundTruth() throws IOException {
        CocoInstances gt = groundTruth;
        if (gt == null) {
            synchronized (this) {
                if (groundTruth == null) {
                    Path tmp = Files.createTempFile("jvision-gt", ".json");
                    try {
                        data.writeCoco(tmp, tmp.getParent());
                        groundTruth = CocoInstances.read(tmp);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
                gt = groundTruth;
            }
        }
        return gt;
    }
}
