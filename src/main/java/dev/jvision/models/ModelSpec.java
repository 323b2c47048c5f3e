package dev.jvision.models;

import java.util.function.Function;

/**
 * One registered model variant: its timm name, default pretrained-data configuration and a
 * factory. Immutable and thread-safe.
 *
 * @param name        the timm name, e.g. {@code resnet50}
 * @param family      family name, e.g. {@code resnet}
 * @param inputSize   default square input size in pixels
 * @param mean        per-channel RGB mean of the pretrained weights' preprocessing
 * @param std         per-channel RGB std
 * @param cropPct     centre-crop fraction used at evaluation by timm
 * @param interpolation resize interpolation of the pretrained preprocessing
 * @param factory     builds the model from options
 */
public record ModelSpec(String name, String family, int inputSize, double[] mean, double[] std,
                        double cropPct, String interpolation, Function<ModelOptions, ImageModel> factory) {
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    /**
     * The spec of a user's own {@link ImageModel} (not in the registry, no factory): inputs
     * normalised with the ImageNet mean and std, evaluated uncropped.
     *
     * @param name the model's name, recorded in checkpoints
     */
    public static ModelSpec custom(String name) {
        return new ModelSpec(name, "custom", 224, IMAGENET_MEAN, IMAGENET_STD, 1.0, "bilinear", null);
    }
}
