package dev.jvision.detect;

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

/**
 * A {@link DetectionDataset} as the trainer's {@link Dataset}: item {@code i} is image {@code i}
 * letterboxed to {@code size x size} ({@link Letterbox}; the loader then leaves it as it is) and
 * {@link #boxes(int)} its ground truth in those square pixels, rows {@code [class, x1, y1, x2, y2]}
 * (crowd regions left out). {@link #label} is 0 for every item (detection has no image class).
 * Also maps predictions back to original pixels and COCO category ids for scoring.
 *
 * <p>Immutable and thread-safe (each {@link #get} reads its file).
 */
public final class DetectionImages implements Dataset {
    private final DetectionDataset data;
    private final int size;
    private final Letterbox[] boxes;
    private volatile CocoInstances groundTruth;

    /**
     * @param data the validated images and boxes
     * @param size the square side the images are letterboxed to (a multiple of 32 for the detector)
     */
    public DetectionImages(DetectionDataset data, int size) {
        this.data = data;
        this.size = size;
        this.boxes = new Letterbox[data.items().size()];
        for (int i = 0; i < boxes.length; i++) {
            DetectionDataset.Item it = data.items().get(i);
            boxes[i] = Letterbox.of(it.width(), it.height(), size);
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
        return Item.rgb(Letterbox.apply(Images.decode(file), size), size, size, 0);
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
    public Letterbox letterbox(int index) {
        return boxes[index];
    }

    /** Item {@code index}'s boxes in square pixels, rows {@code [class, x1, y1, x2, y2]}, crowd regions left out. */
    public List<float[]> boxes(int index) {
        Letterbox lb = boxes[index];
        List<float[]> out = new ArrayList<>();
        for (BoxLabel b : data.items().get(index).boxes()) {
            if (!b.crowd()) {
                out.add(new float[] {b.classId(), lb.toSquareX(b.x1()), lb.toSquareY(b.y1()), lb.toSquareX(b.x2()),
                        lb.toSquareY(b.y2())});
            }
        }
        return out;
    }

    /**
     * COCO result entries of item {@code index} from detections in square pixels, rows
     * {@code [x1, y1, x2, y2, score, class]} ({@code count} of them from {@code offset} in {@code row}).
     */
    public List<CocoResults.Entry> entries(int index, float[] row, int offset, int count) {
        Letterbox lb = boxes[index];
        long[] cats = data.categoryIds();
        long imageId = data.items().get(index).imageId();
        List<CocoResults.Entry> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int o = offset + 6 * k;
            float x1 = lb.toImageX(row[o]);
            float y1 = lb.toImageY(row[o + 1]);
            float x2 = lb.toImageX(row[o + 2]);
            float y2 = lb.toImageY(row[o + 3]);
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
