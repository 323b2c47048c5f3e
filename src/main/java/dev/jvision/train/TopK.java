package dev.jvision.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The k best epochs by a monitored value (ties keep the earlier epoch). {@link #offer} says
 * whether an epoch enters and which one it evicts, so the caller keeps exactly k checkpoint
 * files. Not thread-safe.
 */
public final class TopK {
    /** One retained epoch. */
    public record Entry(int epoch, double value) {}

    /** The outcome of an offer: whether to save the epoch, and the evicted epoch or -1. */
    public record Decision(boolean keep, int evicted) {}

    private final int k;
    private final boolean minimise;
    private final List<Entry> entries = new ArrayList<>();

    public TopK(int k, boolean minimise, List<Entry> restored) {
        this.k = k;
        this.minimise = minimise;
        entries.addAll(restored);
    }

    private Comparator<Entry> order() {
        Comparator<Entry> byValue = Comparator.comparingDouble(Entry::value);
        if (!minimise) byValue = byValue.reversed();
        return byValue.thenComparingInt(Entry::epoch);
    }

    /** Offers {@code epoch} with {@code value}. */
    public Decision offer(int epoch, double value) {
        if (k == 0 || Double.isNaN(value)) return new Decision(false, -1);
        entries.add(new Entry(epoch, value));
        entries.sort(order());
        if (entries.size() <= k) return new Decision(true, -1);
        Entry out = entries.remove(entries.size() - 1);
        return out.epoch() == epoch ? new Decision(false, -1) : new Decision(true, out.epoch());
    }

    /** The retained entries, best first. */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }
}
