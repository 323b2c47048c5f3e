package dev.jvision.data;

import java.nio.file.Path;

/**
 * One labelled (or unlabelled: {@code label == -1}) image row of a manifest CSV.
 *
 * <p>Immutable value; safe to share between threads.
 *
 * @param id    the ID column value (file name relative to the image directory)
 * @param label class index {@code >= 0}, or {@code -1} when unlabelled
 * @param file  the resolved image file
 * @param csv   the CSV this row came from
 * @param line  1-based line of the row in the CSV (the header is line 1)
 */
public record Sample(String id, int label, Path file, Path csv, int line) {

    /** Position used in problem messages: {@code "train.csv:12 ID 'a.jpg'"}. */
    public String where() {
        return (csv == null ? "?" : String.valueOf(csv.getFileName())) + ":" + line + " ID '" + id + "'";
    }
}
