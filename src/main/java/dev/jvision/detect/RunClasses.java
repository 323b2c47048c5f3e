package dev.jvision.detect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.data.detection.DetectionDataset;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A detection run's classes ({@code classes.json} in the run folder): the name and COCO category
 * id of each class index the detector predicts, so that inference writes the training data's
 * category ids without reading its annotations. Immutable and thread-safe.
 *
 * @param names       class names, index = class
 * @param categoryIds COCO category id of each class
 */
public record RunClasses(List<String> names, long[] categoryIds) {
    /** The file name inside a run folder. */
    public static final String FILE = "classes.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public RunClasses {
        names = List.copyOf(names);
        if (names.size() != categoryIds.length) {
            throw new IllegalArgumentException("classes: " + names.size() + " names and " + categoryIds.length
                    + " category ids (expected: one id per name)");
        }
    }

    /** The classes of {@code data}. */
    public static RunClasses of(DetectionDataset data) {
        return new RunClasses(data.classNames(), data.categoryIds());
    }

    /** Writes {@code runDir/classes.json} atomically. */
    public void write(Path runDir) throws IOException {
        AtomicFiles.write(runDir.resolve(FILE), tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    /** Reads {@code runDir/classes.json}. */
    public static RunClasses read(Path runDir) throws IOException {
        Path f = runDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(f + ": not found (expected: a detection run folder made by jvision train)");
        }
        return JSON.readValue(f.toFile(), RunClasses.class);
    }

    /** The name of class {@code id}, or the id as text. */
    public String name(int id) {
        return id >= 0 && id < names.size() ? names.get(id) : Integer.toString(id);
    }
}
