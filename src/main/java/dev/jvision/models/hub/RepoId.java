package dev.jvision.models.hub;

import java.util.regex.Pattern;

/**
 * A Hugging Face model repository and revision, as written in {@code model.pretrained}:
 * {@code ORG/NAME[@REVISION]}, for example {@code timm/convnext_tiny.in12k_ft_in1k} (revision
 * {@code main}) or {@code timm/resnet18.a1_in1k@0b4b4fe1...} (a commit). Immutable and
 * thread-safe.
 *
 * @param id the repository id, {@code ORG/NAME} or {@code NAME}
 * @param revision a branch, tag or 40-hex commit (default {@code main})
 */
public record RepoId(String id, String revision) {
    /** The revision when none is given. */
    public static final String DEFAULT_REVISION = "main";
    private static final Pattern NAME = Pattern.compile("[\\w.-]{1,96}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public RepoId {
        if (id == null || !valid(id)) {
            throw new IllegalArgumentException("'" + id + "' (expected: a hub repository id such as "
                    + "timm/convnext_tiny.in12k_ft_in1k: letters, digits, '-', '_', '.', no '--' or '..', "
                    + "not starting or ending with '-' or '.')");
        }
        if (revision == null || revision.isBlank()) {
            revision = DEFAULT_REVISION;
        }
        if (revision.contains("..") || revision.startsWith("/") || revision.endsWith("/")
                || revision.chars().anyMatch(c -> c <= ' ' || c == '\\')) {
            throw new IllegalArgumentException("'" + id + "@" + revision + "': revision '" + revision
                    + "' (expected: a branch, tag or commit hash)");
        }
    }

    /**
     * Parses {@code ORG/NAME[@REVISION]}.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static RepoId parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("null (expected: a hub repository id such as timm/resnet18.a1_in1k)");
        }
        String t = text.strip();
        int at = t.indexOf('@');
        return at < 0 ? new RepoId(t, null) : new RepoId(t.substring(0, at), t.substring(at + 1));
    }

    /** This repository at another revision. */
    public RepoId at(String rev) {
        return new RepoId(id, rev);
    }

    /** Whether the revision is a full commit hash (then no ref needs resolving). */
    public boolean isCommit() {
        return isCommit(revision);
    }

    static boolean isCommit(String rev) {
        return rev != null && COMMIT.matcher(rev).matches();
    }

    /** The cache folder name, as {@code huggingface_hub} writes it: {@code models--ORG--NAME}. */
    public String folderName() {
        return "models--" + id.replace("/", "--");
    }

    @Override
    public String toString() {
        return revision.equals(DEFAULT_REVISION) ? id : id + "@" + revision;
    }

    private static boolean valid(String id) {
        if (id.contains("--") || id.contains("..")) {
            return false;
        }
        String[] parts = id.split("/", -1);
        if (parts.length > 2) {
            return false;
        }
        for (String p : parts) {
            if (!NAME.matcher(p).matches() || p.startsWith("-") || p.startsWith(".") || p.endsWith("-")
                    || p.endsWith(".")) {
                return false;
            }
        }
        return true;
    }
}
