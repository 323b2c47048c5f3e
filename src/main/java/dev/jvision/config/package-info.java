/**
 * Experiment configuration: YAML files bound onto immutable, validated records.
 *
 * <p>{@link dev.jvision.config.Configs#load} reads a YAML file (SnakeYAML safe loading), applies
 * {@code key=value} overrides (the CLI's {@code --set}), and binds it onto {@link dev.jvision.config.Experiment} and its
 * section records. YAML keys are the snake_case of the record component names; every key is
 * optional and defaults to the record's {@code defaults()}; unknown keys, wrong types and
 * out-of-range values fail with a {@link dev.jvision.config.ConfigException} whose message names
 * file, line, key path, value and what was expected, e.g.
 * {@code configs/train.yaml:14 train.batch_size: 0 (expected: >= 1)}.
 *
 * <p>All records are immutable and thread-safe; their canonical constructors validate, so every
 * instance (however it was made) is valid.
 */
package dev.jvision.config;
