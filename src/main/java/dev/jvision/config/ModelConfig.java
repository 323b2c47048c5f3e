package dev.jvision.config;

/**
 * The {@code model:} section: architecture and initial weights.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param name architecture name (default {@code resnet18})
 * @param numClasses number of output classes, &gt;= 2 (default 17)
 * @param dropRate dropout before the classifier, in [0, 1) (default 0.0)
 * @param weights safetensors file to initialise from, nullable (default null = random init)
 * @param channelsLast use channels-last memory format (default false)
 */
public record ModelConfig(String name, int numClasses, double dropRate, String weights, boolean channelsLast) {

    public ModelConfig {
        Checks.nonBlank("name", name);
        Checks.atLeast("num_classes", numClasses, 2);
        Checks.halfOpen("drop_rate", dropRate, 0.0, 1.0);
    }

    /** @return the section with every field at its default */
    public static ModelConfig defaults() {
        return new ModelConfig("resnet18", 17, 0.0, null, false);
    }
}
