package dev.jvision.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The YAML key of a config record component whose Java name differs from the key's camelCase
 * (e.g. {@code data.img_size} binds to {@code DataConfig.imgSizes}, so that {@code imgSize()}
 * can stay the plain final size). Read by the binder and the YAML writer.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface ConfigKey {
    /** The snake_case key. */
    String value();
}
