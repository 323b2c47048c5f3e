package dev.jvision.data.detection;

import dev.jvision.data.ImageHeader;
import dev.jvision.data.Images;
import dev.jvision.data.ManifestValidator;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Image file checks for {@link DetectionValidator}, a few files at a time. Stateless; thread-safe. */
final class ImageChecks {
    private ImageChecks() {}

    /**
     * Checks every image on a few threads (file reads wait on the disk): its size, {@code {}}
     * when not read (check NONE), or null when the image is bad, whose problem is added in
     * list order to {@code image}.
     */
    static List<int[]> checkAll(List<Path> files, List<String> where, ManifestValidator.Check check, Path dir,
                                List<String> image) throws IOException {
        int n = files.size();
        int[][] sizes = new int[n][];
        String[] problems = new String[n];
        int cores = Runtime.getRuntime().availableProcessors();
        int threads = Math.max(1, Math.min(n / 64 + 1, check == ManifestValidator.Check.DECODE ? cores : 4 * cores));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "detection-validate");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                jobs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        try {
                            sizes[i] = checkImage(files.get(i), check);
                        } catch (NoSuchFileException e) {
                            problems[i] = where.get(i) + ": missing file"
                                    + (dir != null ? " under " + dir : " (" + files.get(i) + ")");
                        } catch (AccessDeniedException e) {
                            problems[i] = where.get(i) + ": unreadable: permission denied (" + files.get(i) + ")";
                        } catch (IOException | RuntimeException e) {
                            String m = String.valueOf(e.getMessage());
                            String prefix = files.get(i) + ": ";
                            problems[i] = where.get(i) + ": " + (m.startsWith(prefix) ? m.substring(prefix.length()) : m);
                        }
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : jobs) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("validation interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("image check failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        for (String p : problems) if (p != null) image.add(p);
        return java.util.Arrays.asList(sizes);
    }

    private static int[] checkImage(Path file, ManifestValidator.Check check) throws IOException {
        return switch (check) {
            case NONE -> {
                if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
                if (Files.size(file) == 0) throw new IOException(file + ": empty file");
                yield new int[0];
            }
            case HEADER -> ImageHeader.dimensions(file);
            case DECODE -> {
                ImageHeader.dimensions(file);
                yield Images.probeSize(file);
            }
        };
    }
}
