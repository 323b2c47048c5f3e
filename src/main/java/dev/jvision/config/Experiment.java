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
 * @param task what the model learns: {@code classification} (default) or {@code detection}
 *     (boxes; see {@link DetectConfig})
 * @param detect the {@code detect:} section (used by {@code task: detection})
 */
public record Experiment(
        ExperimentSection experiment,
        DataConfig data,
        ModelConfig model,
        AugmentConfig augment,
        TrainConfig train,
        InferConfig infer,
        String task,
        DetectConfig detect) {

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
        if (task == null) task = "classification";
        Checks.oneOf("task", task, "classification", "detection");
        if (detect == null) detect = DetectConfig.defaults();
    }

    /** The six sections of a classification experiment ({@code task: classification}, detect defaults). */
    public Experiment(ExperimentSection experiment, DataConfig data, ModelConfig model, AugmentConfig augment,
                      TrainConfig train, InferConfig infer) {
        this(experiment, data, model, augment, train, infer, null, null);
    }

    /** Whether this experiment trains a detector ({@code task: detection}). */
    public boolean isDetection() {
        return task.equals("detection");
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
