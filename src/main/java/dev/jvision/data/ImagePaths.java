package dev.jvision.data;

import dev.jvision.config.DataConfig;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a manifest's {@code image_path} values may point: relative paths resolve against
 * {@code base} (the manifest's folder) and must stay inside it; absolute paths are accepted
 * when {@code allowAbsolute} is set, or when they lie under one of {@code roots}. A {@code ..}
 * component is always refused, relative or absolute.
 *
 * <p>Immutable; thread-safe.
 *
 * @param base          folder relative paths resolve against (absolute, normalized)
 * @param allowAbsolute accept any absolute path
 * @param roots         folders absolute paths may lie under (absolute, normalized; unmodifiable)
 */
public record ImagePaths(Path base, boolean allowAbsolute, List<Path> roots) {

    public ImagePaths {
        base = base.toAbsolutePath().normalize();
        List<Path> r = new ArrayList<>();
        for (Path p : roots) r.add(p.toAbsolutePath().normalize());
        roots = List.copyOf(r);
    }

    /** The policy of the {@code data:} section for a manifest in {@code manifestDir}. */
    public static ImagePaths of(Path manifestDir, DataConfig cfg) {
        return new ImagePaths(manifestDir, cfg.manifests().allowAbsolutePaths(), cfg.manifests().roots().stream().map(Path::of).toList());
    }

    /** The outcome of {@link #resolve}: the file, or why the value is refused (then file is null). */
    public record Resolved(Path file, String problem) {}

    /** Resolves an {@code image_path} value; never throws. */
    public Resolved resolve(String value) {
        if (value == null || value.isEmpty()) return new Resolved(null, "empty path (expected: an image file path)");
        if (value.indexOf('\0') >= 0) return new Resolved(null, "NUL character in path");
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            return new Resolved(null, "invalid path (" + e.getReason() + ")");
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                return new Resolved(null, "'..' is not allowed (expected: a path inside " + base + describeRoots() + ")");
            }
        }
        if (p.isAbsolute() || value.startsWith("/") || value.startsWith("\\")) {
            Path f = p.toAbsolutePath().normalize();
            if (allowAbsolute) return new Resolved(f, null);
            for (Path r : roots) if (f.startsWith(r) && !f.equals(r)) return new Resolved(f, null);
            return new Resolved(null, "absolute path outside the allowed roots (expected: a path relative to "
                    + base + (roots.isEmpty() ? "" : " or under " + roots)
                    + "; or set data.allow_absolute_paths: true, or list its folder in data.roots)");
        }
        Path f = base.resolve(p).normalize();
        if (!f.startsWith(base) || f.equals(base)) {
            return new Resolved(null, "escapes " + base + " (expected: a file inside it)");
        }
        return new Resolved(f, null);
    }

    private String describeRoots() {
        return roots.isEmpty() ? "" : " or under " + roots;
    }
}
