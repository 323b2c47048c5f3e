package dev.jvision.tune;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exhaustive search over a grid: trial {@code n} takes grid point {@code n} (row-major over the
 * parameters in the order given), so workers sharing a study never repeat a point; the study
 * stops after {@link #maxTrials()} trials. A parameter suggested but absent from the grid is an
 * error. Immutable, thread-safe.
 */
public final class GridSampler implements Sampler {
    private final Map<String, List<Object>> grid;
    private final int size;

    /** A grid of external values by parameter name. */
    public GridSampler(Map<String, List<Object>> grid) {
        this.grid = new LinkedHashMap<>();
        long n = 1;
        for (Map.Entry<String, List<Object>> e : grid.entrySet()) {
            if (e.getValue().isEmpty()) {
                throw new IllegalArgumentException("grid " + e.getKey() + ": no values (expected: at least one)");
            }
            this.grid.put(e.getKey(), List.copyOf(e.getValue()));
            n *= e.getValue().size();
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid of " + n + " points (expected: at most " + Integer.MAX_VALUE + ")");
        }
        this.size = (int) n;
    }

    /**
     * The grid of every parameter's values: all categories, all integers of a range, all steps
     * of a float range; a float range without a step takes {@code floatPoints} evenly spaced
     * values (log-spaced with {@code log}).
     */
    public static GridSampler of(Map<String, Distribution> space, int floatPoints) {
        Map<String, List<Object>> g = new LinkedHashMap<>();
        space.forEach((name, d) -> g.put(name, values(d, floatPoints)));
        return new GridSampler(g);
    }

    static List<Object> values(Distribution d, int floatPoints) {
        List<Object> out = new ArrayList<>();
        if (d instanceof Distribution.Categorical c) {
            out.addAll(c.choices());
        } else if (d instanceof Distribution.IntRange r) {
            if (r.log()) {
                for (int i = 0; i < floatPoints; i++) {
                    double t = floatPoints == 1 ? 0 : (double) i / (floatPoints - 1);
                    int v = r.snap(Math.exp(Math.log(r.low()) + t * (Math.log(r.high()) - Math.log(r.low()))));
                    if (!out.contains(v)) {
                        out.add(v);
                    }
                }
            } else {
                for (int v = r.low(); v <= r.high(); v += r.step()) {
                    out.add(v);
                }
            }
        } else if (d instanceof Distribution.FloatRange f) {
            if (f.step() > 0) {
                int n = (int) Math.round((f.high() - f.low()) / f.step()) + 1;
                for (int i = 0; i < n; i++) {
                    out.add(f.snap(f.low() + i * f.step()));
                }
            } else {
                for (int i = 0; i < floatPoints; i++) {
                    double t = floatPoints == 1 ? 0 : (double) i / (floatPoints - 1);
                    out.add(f.log() ? Math.exp(Math.log(f.low()) + t * (Math.log(f.high()) - Math.log(f.low())))
                            : f.low() + t * (f.high() - f.low()));
                }
            }
        }
        return out;
    }

    @Override
    public double sampleIndependent(Context ctx, String name, Distribution d) {
        List<Object> values = grid.get(name);
        if (values == null) {
            throw new IllegalArgumentException("parameter " + name + ": not in the grid (expected: one of " + grid.keySet() + ")");
        }
        int stride = 1;
        boolean after = false;
        List<String> names = new ArrayList<>(grid.keySet());
        for (int i = names.size() - 1; i >= 0; i--) {
            if (names.get(i).equals(name)) {
                after = true;
                break;
            }
            stride *= grid.get(names.get(i)).size();
        }
        assert after;
        int point = ctx.number() % size;
        return d.toInternal(values.get((point / stride) % values.size()));
    }

    @Override
    public int maxTrials() {
        return size;
    }
}
