package dev.jvision.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a config record component whose type is itself a record that Java code sees as a section
 * ({@code train().optimizer().lr()}) but YAML keeps flat: the section's own keys are read from, and
 * written to, the parent mapping ({@code train.lr}), and the component's name is no key. Flattened
 * sections may nest; every key reachable from one mapping must be distinct. Read by the binder, the
 * override checker and the YAML writer.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface Flatten {}
