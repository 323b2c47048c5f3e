package dev.jvision.augment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Deterministic test-time augmentation views. A view is a sequence of steps written with
 * {@code +}, applied left to right: {@code identity}, {@code hflip}, {@code vflip},
 * {@code rot90}, {@code rot180}, {@code rot270} (counter-clockwise, as {@code torch.rot90}),
 * {@code transpose} ({@code rot90+hflip}), {@code scale0.9} (bilinear resize by that factor),
 * {@code right1}, {@code left1}, {@code down1}, {@code up1} (a whole-pixel shift by 1 to 8 pixels,
 * reflecting at the edges; see {@link FlipShift#shift}).
 * Flips and turns act on uint8 NHWC batches before the evaluation transform
 * ({@link #applyPixels}) or on float NCHW batches ({@link #applyFloat}); scales act only on
 * float NCHW batches ({@link #applyScale}), after normalisation. The eight dihedral views come
 * first in {@link #DEFAULT_VIEWS}, so {@code tta_num_augments: N} picks the first N of them.
 *
 * <p>Views are immutable and thread-safe; the tensors returned are new (the caller owns them,
 * normally through the step's {@code PointerScope}).
 */
public final class Tta {
    /** The default view list: the dihedral group of the square, then two scales. */
    public static final List<String> DEFAULT_VIEWS = List.of("identity", "hflip", "vflip", "rot90", "rot180", "rot270",
            "transpose", "rot90+vflip", "scale0.9", "scale1.1");

    /**
     * The small-image views (airbench's TTA): the image and its mirror, each also shifted by one
     * pixel up-left and down-right.
     */
    public static final List<String> SMALL_IMAGE_VIEWS = List.of("identity", "hflip", "left1+up1", "right1+down1",
            "hflip+left1+up1", "hflip+right1+down1");

    private Tta() {}

    /** One step of a view. */
    public enum Kind { HFLIP, VFLIP, ROT90, ROT180, ROT270, SCALE, RIGHT, LEFT, DOWN, UP }

    /** One step with its argument (the factor of a scale step, else 1). */
    public record Step(Kind kind, double factor) {}

    /**
     * A parsed view: its name as configured and its steps (empty for identity).
     *
     * @param name  the configured name, e.g. {@code rot90+hflip}
     * @param steps the geometric and scale steps, in application order
     */
    public record View(String name, List<Step> steps) {
        public View {
            steps = List.copyOf(steps);
        }

        /** Whether this view leaves the image unchanged. */
        public boolean isIdentity() {
            return steps.isEmpty();
        }

        /** The product of the scale factors (1 when the view has none). */
        public double scale() {
            double s = 1;
            for (Step st : steps) {
                if (st.kind == Kind.SCALE) {
                    s *= st.factor;
                }
            }
            return s;
        }

        /** The inverse of the geometric part (no scales): applying it after this view gives the input back. */
        public View inverse() {
            List<Step> inv = new ArrayList<>();
            for (int i = steps.size() - 1; i >= 0; i--) {
                Step s = steps.get(i);
                switch (s.kind) {
                    case ROT90 -> inv.add(new Step(Kind.ROT270, 1));
                    case ROT270 -> inv.add(new Step(Kind.ROT90, 1));
                    case RIGHT -> inv.add(new Step(Kind.LEFT, s.factor));
                    case LEFT -> inv.add(new Step(Kind.RIGHT, s.factor));
                    case DOWN -> inv.add(new Step(Kind.UP, s.factor));
                    case UP -> inv.add(new Step(Kind.DOWN, s.factor));
                    case SCALE -> { }
                    default -> inv.add(s);
                }
            }
            return new View("inverse(" + name + ")", inv);
        }
    }

    /** The identity view. */
    public static View identity() {
        return new View("identity", List.of());
    }

    /**
     * Parses {@code names} and keeps the first {@code numAugments} ({@code 0} = all).
     *
     * @throws IllegalArgumentException naming the bad view and listing the valid steps
     */
    public static List<View> parse(List<String> names, int numAugments) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("tta_views: [] (expected: at least one view, e.g. identity)");
        }
        if (numAugments < 0 || numAugments > names.size()) {
            throw new IllegalArgumentException("tta_num_augments: " + numAugments + " (expected: 0 for all, or 1.."
                    + names.size() + ", the number of configured tta_views)");
        }
        int n = numAugments == 0 ? names.size() : numAugments;
        List<View> out = new ArrayList<>();
        for (String name : names.subList(0, n)) {
            out.add(parse(name));
        }
        return out;
    }

    /** Parses one view name. */
    public static View parse(String name) {
        List<Step> steps = new ArrayList<>();
        for (String raw : name.split("\\+")) {
            String t = raw.trim().toLowerCase(Locale.ROOT);
            switch (t) {
                case "identity", "none" -> { }
                case "hflip" -> steps.add(new Step(Kind.HFLIP, 1));
                case "vflip" -> steps.add(new Step(Kind.VFLIP, 1));
                case "rot90" -> steps.add(new Step(Kind.ROT90, 1));
                case "rot180" -> steps.add(new Step(Kind.ROT180, 1));
                case "rot270" -> steps.add(new Step(Kind.ROT270, 1));
                case "transpose" -> {
                    steps.add(new Step(Kind.ROT90, 1));
                    steps.add(new Step(Kind.HFLIP, 1));
                }
                default -> {
                    Step shift = shiftStep(t);
                    if (shift != null) {
                        steps.add(shift);
                        continue;
                    }
                    double f = Double.NaN;
                    if (t.startsWith("scale")) {
                        try {
                            f = Double.parseDouble(t.substring(5));
                        } catch (NumberFormatException e) {
                            f = Double.NaN;
                        }
                    }
                    if (!(f > 0.1 && f <= 4)) {
                        throw new IllegalArgumentException("tta view '" + name + "': step '" + raw.trim() + "' (expected: "
                                + "identity, hflip, vflip, rot90, rot180, rot270, transpose, scaleF with F in (0.1, 4] or "
                                + "right/left/down/upN with N in 1..8, joined with +)");
                    }
                    steps.add(new Step(Kind.SCALE, f));
                }
            }
        }
        return new View(name.trim(), steps);
    }

    /** {@code right3} and the like as a step, or null. */
    private static Step shiftStep(String t) {
        for (Kind k : new Kind[] {Kind.RIGHT, Kind.LEFT, Kind.DOWN, Kind.UP}) {
            String p = k.name().toLowerCase(Locale.ROOT);
            if (t.startsWith(p) && t.length() == p.length() + 1 && t.charAt(p.length()) >= '1' && t.charAt(p.length()) <= '8') {
                return new Step(k, t.charAt(p.length()) - '0');
            }
        }
        return null;
    }

    /** Applies the flips and turns of {@code view} to a uint8 {@code [N, H, W, C]} batch (scales are ignored). */
    public static Tensor applyPixels(Tensor nhwc, View view) {
        return geometric(nhwc, view, 1, 2);
    }

    /** Applies the flips and turns of {@code view} to a float {@code [N, C, H, W]} batch (scales are ignored). */
    public static Tensor applyFloat(Tensor nchw, View view) {
        return geometric(nchw, view, 2, 3);
    }

    /**
     * Resizes a float {@code [N, C, H, W]} batch by the view's scale (bilinear, no corner
     * alignment); returns {@code nchw} itself when the scale is 1.
     */
    public static Tensor applyScale(Tensor nchw, View view) {
        double s = view.scale();
        if (s == 1) {
            return nchw;
        }
        long h = Math.max(8, Math.round(nchw.size(2) * s));
        long w = Math.max(8, Math.round(nchw.size(3) * s));
        return torch.upsample_bilinear2d(nchw, new long[] {h, w}, false);
    }

    private static Tensor geometric(Tensor x, View view, long hDim, long wDim) {
        Tensor y = x;
        for (Step s : view.steps) {
            y = switch (s.kind) {
                case HFLIP -> torch.flip(y, wDim);
                case VFLIP -> torch.flip(y, hDim);
                case ROT90 -> torch.rot90(y, 1, hDim, wDim);
                case ROT180 -> torch.rot90(y, 2, hDim, wDim);
                case ROT270 -> torch.rot90(y, 3, hDim, wDim);
                case RIGHT -> FlipShift.shift(y, hDim, wDim, (int) s.factor, 0);
                case LEFT -> FlipShift.shift(y, hDim, wDim, -(int) s.factor, 0);
                case DOWN -> FlipShift.shift(y, hDim, wDim, 0, (int) s.factor);
                case UP -> FlipShift.shift(y, hDim, wDim, 0, -(int) s.factor);
                case SCALE -> y;
            };
        }
        return y == x ? x : y.contiguous();
    }
}
