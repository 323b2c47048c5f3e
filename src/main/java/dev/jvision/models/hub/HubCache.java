package dev.jvision.models.hub;

import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache, laid out exactly as Python's {@code huggingface_hub} writes it, so
 * that files either side downloaded are found by the other:
 * <pre>
 * CACHE/models--ORG--NAME/
 *   blobs/ETAG                      the file's bytes (ETAG: SHA-256 of LFS files, git SHA-1 of others)
 *   blobs/ETAG.incomplete           a download in progress (jvision resumes it)
 *   refs/REVISION                   the commit hash a branch or tag pointed to (no newline)
 *   snapshots/COMMIT/FILE           relative symlink to ../../blobs/ETAG
 *   .no_exist/COMMIT/FILE           empty: FILE is known not to exist at COMMIT
 * </pre>
 * Reading never touches the network. Writes (refs, links) are atomic renames. Immutable and
 * thread-safe; concurrent writers of one blob are serialised by {@link HubClient}.
 */
public final class HubCache {
    private final Path root;

    /** The cache rooted at {@code root} (the folder holding {@code models--*}); nothing is created. */
    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The cache folder. */
    public Path root() {
        return root;
    }

    /** {@code CACHE/models--ORG--NAME}. */
    public Path repoFolder(RepoId repo) {
        return root.resolve(repo.folderName());
    }

    /** {@code blobs/ETAG} of {@code repo}. */
    public Path blob(RepoId repo, String etag) {
        return repoFolder(repo).resolve("blobs").resolve(etag);
    }

    /** {@code blobs/ETAG.incomplete}: the partial download of that blob. */
    public Path incomplete(RepoId repo, String etag) {
        return repoFolder(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    /** {@code snapshots/COMMIT/FILE}: the pointer a reader opens. */
    public Path snapshotFile(RepoId repo, String commit, String file) {
        return repoFolder(repo).resolve("snapshots").resolve(commit).resolve(file);
    }

    /** {@code refs/REVISION}. */
    public Path refFile(RepoId repo) {
        return repoFolder(repo).resolve("refs").resolve(repo.revision());
    }

    /** The commit of {@code repo}'s revision: the revision itself when it is a commit, else what its ref says. */
    public Optional<String> commit(RepoId repo) throws IOException {
        if (repo.isCommit()) {
            return Optional.of(repo.revision());
        }
        Path ref = refFile(repo);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
    }

    /** The cached {@code file} of {@code repo} at its revision (a readable snapshot pointer), if present. */
    public Optional<Path> find(RepoId repo, String file) throws IOException {
        Optional<String> commit = commit(repo);
        if (commit.isEmpty()) {
            return Optional.empty();
        }
        Path p = snapshotFile(repo, commit.get(), file);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty(); // follows the link: a dangling one is absent
    }

    /** Whether the cache records that {@code file} does not exist at {@code commit} ({@code .no_exist}). */
    public boolean knownMissing(RepoId repo, String commit, String file) {
        return Files.exists(repoFolder(repo).resolve(".no_exist").resolve(commit).resolve(file));
    }

    /** Records that {@code repo}'s revision is at {@code commit}, atomically; nothing for a commit revision. */
    public void writeRef(RepoId repo, String commit) throws IOException {
        if (repo.revision().equals(commit)) {
            return;
        }
        Path ref = refFile(repo);
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit)) {
            return;
        }
        AtomicFiles.writeText(ref, w -> w.write(commit)); // no newline, as huggingface_hub writes it
    }

    /**
     * Points {@code snapshots/COMMIT/FILE} at {@code blobs/ETAG} with a relative symlink (a copy
     * where the file system has no symlinks); an existing pointer is kept.
     *
     * @return the pointer
     */
    public Path link(RepoId repo, String commit, String file, String etag) throws IOException {
        Path pointer = snapshotFile(repo, commit, file);
        if (Files.exists(pointer)) {
            return pointer;
        }
        Path blob = blob(repo, etag);
        Files.createDirectories(pointer.getParent());
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            AtomicFiles.move(tmp, pointer, true);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return pointer;
    }

    /** One snapshot folder: a commit and the files it holds (relative paths, sorted). */
    public record Snapshot(String commit, List<String> files, Instant modified) {}

    /**
     * One cached repository.
     *
     * @param id repository id ({@code ORG/NAME})
     * @param folder its {@code models--ORG--NAME} folder
     * @param refs revision to commit
     * @param snapshots its snapshots, newest first
     * @param bytes size of its complete blobs
     * @param incompleteBytes size of its partial downloads
     */
    public record CachedRepo(String id, Path folder, Map<String, String> refs, List<Snapshot> snapshots, long bytes,
                             long incompleteBytes) {}

    /** The model repositories in the cache, by id; empty when the cache folder does not exist. */
    public List<CachedRepo> list() throws IOException {
        List<CachedRepo> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                String name = d.getFileName().toString();
                if (name.startsWith("models--")) {
                    out.add(describe(name.substring("models--".length()).replace("--", "/"), d));
                }
            }
        }
        return out;
    }

    private static CachedRepo describe(String id, Path folder) throws IOException {
        Map<String, String> refs = new TreeMap<>();
        Path refDir = folder.resolve("refs");
        if (Files.isDirectory(refDir)) {
            try (Stream<Path> s = Files.walk(refDir)) {
                for (Path r : s.filter(Files::isRegularFile).toList()) {
                    refs.put(refDir.relativize(r).toString(), Files.readString(r, StandardCharsets.UTF_8).strip());
                }
            }
        }
        List<Snapshot> snaps = new ArrayList<>();
        Path snapDir = folder.resolve("snapshots");
        if (Files.isDirectory(snapDir)) {
            try (Stream<Path> s = Files.list(snapDir)) {
                for (Path c : s.filter(Files::isDirectory).toList()) {
                    List<String> files;
                    try (Stream<Path> f = Files.walk(c)) {
                        files = f.filter(p -> !Files.isDirectory(p)).map(p -> c.relativize(p).toString()).sorted().toList();
                    }
                    snaps.add(new Snapshot(c.getFileName().toString(), files,
                            Files.getLastModifiedTime(c).toInstant()));
                }
            }
        }
        snaps.sort(Comparator.comparing(Snapshot::modified).reversed());
        long bytes = 0;
        long partial = 0;
        Path blobs = folder.resolve("blobs");
        if (Files.isDirectory(blobs)) {
            try (Stream<Path> s = Files.list(blobs)) {
                for (Path b : s.toList()) {
                    if (!Files.isRegularFile(b, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    if (b.getFileName().toString().endsWith(".incomplete")) {
                        partial += Files.size(b);
                    } else {
                        bytes += Files.size(b);
                    }
                }
            }
        }
        return new CachedRepo(id, folder, refs, snaps, bytes, partial);
    }
}
