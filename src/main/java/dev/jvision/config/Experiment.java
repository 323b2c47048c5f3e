package dev.jvision.config;

/**
 * A complete, validated experiment configuration: the root of a config YAML file. Load one with
 * {@link Configs#load}; a {@code null} section given to the constructor means its defaults.
 *
 * <p>Immutable and thread-safe.
 *
 * @param experiment the {@code experiment:} section
 * @param data the {@code data:} section
 * @param model the {@code model:} section
 * @param augment the {@code augment:} section
 * @param train the {@code train:} section
 * @param infer the {@code infer:} section
 */
public record Experiment(
        ExperimentSection experiment,
        DataConfig data,
        ModelConfig model,
        AugmentConfig augment,
        TrainConfig train,
        InferConfig infer) {

    /** Loads and validates a YAML file (see {@link Configs#load}). */
    public static Experiment load(java.nio.file.Path yaml) {
        return Configs.load(yaml, java.util.List.of());
    }

    /** Loads a YAML file and applies {@code key=value} overrides. */
    public static Experiment load(java.nio.file.Path yaml, java.util.List<String> overrides) {
        return Configs.load(yaml, overrides);
    }

    public Experiment {
        if (experiment == null) experiment = ExperimentSection.defaults();
        if (data == null) data = DataConfig.defaults();
        if (model == null) model = ModelConfig.defaults();
        if (augment == null) augment = AugmentConfig.defaults();
        if (train == null) train = TrainConfig.defaults();
        if (infer == null) infer = InferConfig.defaults();
    }

    /**
     * A copy with {@code key=value} overrides applied, exactly as {@code --set} applies them:
     * values are parsed as YAML and the result is validated, so a bad key or value is a
     * {@link ConfigException} naming it. For example
     * {@code Experiment.defaults().with("train.epochs=3", "data.img_size=64")}.
     */
    public Experiment with(String... overrides) {
        return Configs.fromYaml(Configs.toYaml(this), "<java>", java.util.List.of(overrides));
    }

    /** @return the configuration with every section at its defaults */
    public static Experiment defaults() {
        return new Experiment(null, null, null, null, null, null);
    }
}
