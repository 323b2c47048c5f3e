package dev.jvision.data;

import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the CSVs of jvision's classification layout once the images are in place:
 * {@code train.csv} (ID,target), {@code meta.csv} (target,class_name) and, when there is a test
 * split, {@code sample_submission.csv} (ID,target 0) and {@code test_labels.csv} (its answers).
 * Each file is written atomically. Shared by the importers ({@link IdxImport} and the detection crops
 * of {@code dev.jvision.detect.CropData}). Stateless and thread-safe.
 */
public final class LayoutCsvs {
    private LayoutCsvs() {}

    /**
     * @param testIds null or empty: no test split (no sample_submission.csv / test_labels.csv)
     */
    public static void write(Path out, List<String> trainIds, int[] trainLabels, List<String> testIds, int[] testLabels,
                      List<String> classNames) throws IOException {
        AtomicFiles.writeText(out.resolve("train.csv"), w -> table(w, trainIds, trainLabels, false));
        if (testIds != null && !testIds.isEmpty()) {
            AtomicFiles.writeText(out.resolve("sample_submission.csv"), w -> table(w, testIds, testLabels, true));
            AtomicFiles.writeText(out.resolve("test_labels.csv"), w -> table(w, testIds, testLabels, false));
        }
        AtomicFiles.writeText(out.resolve("meta.csv"), w -> {
            w.write("target,class_name\n");
            for (int c = 0; c < classNames.size(); c++) w.write(c + "," + classNames.get(c) + "\n");
        });
    }

    private static void table(Writer w, List<String> ids, int[] labels, boolean zero) throws IOException {
        w.write("ID,target\n");
        for (int i = 0; i < ids.size(); i++) w.write(ids.get(i) + "," + (zero ? 0 : labels[i]) + "\n");
    }
}
