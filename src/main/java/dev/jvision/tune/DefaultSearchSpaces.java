package dev.jvision.tune;

import dev.jvision.models.Models;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * jvision's default search space per model family, for a study started without a space file
 * ({@code jvision tune} and {@code jvision pipeline --optimize} without {@code --space}): the
 * learning rate, weight decay, label smoothing, mixup, and drop-path / layer decay where the
 * family uses them; the model itself stays fixed. The spaces are resources under
 * {@code dev/jvision/tune/spaces/} and are listed in docs/tuning.md. Stateless, thread-safe.
 */
public final class DefaultSearchSpaces {
    /** The model families with a default search space. */
    public static final List<String> FAMILIES = List.of("resnet", "efficientnetv2", "convnext", "swin", "quicknet");

    private DefaultSearchSpaces() {}

    /**
     * The default space of {@code modelName}'s family.
     *
     * @throws IllegalArgumentException for a model outside {@link #FAMILIES} (or unknown)
     */
    public static SearchSpace forModel(String modelName) {
        String family = Models.spec(modelName).family();
        String resource = "spaces/" + family + ".yaml";
        try (InputStream in = DefaultSearchSpaces.class.getResourceAsStream(resource)) {
            if (!FAMILIES.contains(family) || in == null) {
                throw new IllegalArgumentException("model.name " + modelName + ": no default search space for family "
                        + family + " (expected: a model of " + FAMILIES + ", or a search space file)");
            }
            return SearchSpace.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    "default search space " + family + ".yaml");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the default search space " + resource, e);
        }
    }
}
