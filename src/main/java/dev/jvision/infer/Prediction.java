package dev.jvision.infer;

import java.util.List;

/**
 * What a {@link Classifier} says about one image: the most probable classes, best first, and
 * the probabilities of all classes (temperature-scaled when {@link #calibrated()}; an ensemble's
 * are the weighted mean of its members', TTA views averaged). Immutable by convention (the
 * array is the caller's own copy) and thread-safe.
 *
 * @param top           the {@code topK} most probable classes, best first
 * @param probabilities the probability of every class, by class id (sums to 1)
 * @param calibrated    whether a temperature other than 1 was applied
 */
public record Prediction(List<ClassScore> top, float[] probabilities, boolean calibrated) {
    public Prediction {
        top = List.copyOf(top);
        if (top.isEmpty()) {
            throw new IllegalArgumentException("a prediction needs at least one class");
        }
    }

    /**
     * One class with its probability.
     *
     * @param id          the class id (index into the model's outputs)
     * @param name        the class name from the run (its sidecar's class names), else the id as text
     * @param probability its probability
     */
    public record ClassScore(int id, String name, float probability) {}

    /** The most probable class. */
    public ClassScore best() {
        return top.get(0);
    }

    @Override
    public String toString() {
        return "Prediction" + top + (calibrated ? " (calibrated)" : "");
    }
}
