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
 * @param dropPathRate stochastic depth rate where the architecture has it, in [0, 1) (default 0.0)
 * @param foldModels one architecture per fold, cycled when shorter than n_folds (a multi-model ensemble),
 *     nullable (default null = {@code name} for every fold)
 * @param freezeBackbone train only the classifier (default false)
 * @param pretrained Hugging Face hub repository of timm weights, {@code ORG/NAME[@REVISION]}, e.g.
 *     {@code timm/convnext_tiny.in12k_ft_in1k}: found in the Hugging Face cache first, downloaded
 *     when missing (never with {@code HF_HUB_OFFLINE=1}); its {@code config.json} sets the
 *     preprocessing (mean, std); nullable; a model built with both {@code weights} and
 *     {@code pretrained} set is refused (default null)
 */
public record ModelConfig(String name, int numClasses, double dropRate, String weights, boolean channelsLast,
                          double dropPathRate, java.util.List<String> foldModels, boolean freezeBackbone,
                          String pretrained) {
    private static final java.util.regex.Pattern REPO = java.util.regex.Pattern.compile(
            "[\\w.-]+(/[\\w.-]+)?(@[^\\s@]+)?");

    public ModelConfig {
        Checks.nonBlank("name", name);
        Checks.atLeast("num_classes", numClasses, 2);
        Checks.halfOpen("drop_rate", dropRate, 0.0, 1.0);
        Checks.halfOpen("drop_path_rate", dropPathRate, 0.0, 1.0);
        if (foldModels != null) {
            if (foldModels.isEmpty()) throw Checks.fail("fold_models", java.util.List.of(), "a non-empty list, or null");
            for (int i = 0; i < foldModels.size(); i++) {
                Checks.nonBlank("fold_models[" + i + "]", foldModels.get(i));
            }
            foldModels = java.util.List.copyOf(foldModels);
        }
        if (pretrained != null) {
            if (!REPO.matcher(pretrained).matches()) {
                throw Checks.fail("pretrained", pretrained, "a hub repository id ORG/NAME[@REVISION], e.g. "
                        + "timm/convnext_tiny.in12k_ft_in1k");
            }
        }
    }

    /** The eight-field form before {@code pretrained}; no hub weights. */
    public ModelConfig(String name, int numClasses, double dropRate, String weights, boolean channelsLast,
                       double dropPathRate, java.util.List<String> foldModels, boolean freezeBackbone) {
        this(name, numClasses, dropRate, weights, channelsLast, dropPathRate, foldModels, freezeBackbone, null);
    }

    /** The foundation's five-field form; newer fields at their defaults. */
    public ModelConfig(String name, int numClasses, double dropRate, String weights, boolean channelsLast) {
        this(name, numClasses, dropRate, weights, channelsLast, 0.0, null, false);
    }

    /** The seven-field form of the training engine; {@code freeze_backbone} off. */
    public ModelConfig(String name, int numClasses, double dropRate, String weights, boolean channelsLast,
                       double dropPathRate, java.util.List<String> foldModels) {
        this(name, numClasses, dropRate, weights, channelsLast, dropPathRate, foldModels, false);
    }

    /** The architecture trained for fold {@code fold}. */
    public String modelForFold(int fold) {
        return foldModels == null ? name : foldModels.get(fold % foldModels.size());
    }

    /** @return the section with every field at its default */
    public static ModelConfig defaults() {
        return new ModelConfig("resnet18", 17, 0.0, null, false);
    }
}
