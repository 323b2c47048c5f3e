/**
 * The standard {@link dev.jvision.train.Callback}s: metrics CSV rows, TensorBoard scalars,
 * console progress bars and log lines. The {@code jvision} commands attach all four; library
 * users pick what they need.
 */
package dev.jvision.train.listeners;
