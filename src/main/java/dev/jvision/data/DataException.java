package dev.jvision.data;

import java.util.List;

/**
 * Bad input data: carries the list of every problem found, each formatted as
 * {@code "file:line ID 'x': reason"}. The message lists the first 20 problems, then
 * {@code "... and N more"}.
 *
 * <p>Immutable; safe to share between threads.
 */
public class DataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    /** How many problems the message spells out. */
    public static final int MAX_LISTED = 20;

    private final List<String> problems;

    /**
     * @param summary  first line of the message, e.g. "train.csv: 3 bad rows"
     * @param problems every problem (copied)
     */
    public DataException(String summary, List<String> problems) {
        super(format(summary, problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem, in input order (unmodifiable). */
    public List<String> problems() {
        return problems;
    }

    static String format(String summary, List<String> problems) {
        StringBuilder sb = new StringBuilder(summary);
        int n = Math.min(MAX_LISTED, problems.size());
        for (int i = 0; i < n; i++) sb.append("\n  ").append(problems.get(i));
        if (problems.size() > n) sb.append("\n  ... and ").append(problems.size() - n).append(" more");
        return sb.toString();
    }
}
