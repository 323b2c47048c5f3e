/**
 * Hyper-parameter search: {@link dev.jvision.tune.Study} / {@link dev.jvision.tune.Trial} with
 * {@link dev.jvision.tune.Distribution}s, samplers ({@link dev.jvision.tune.TpeSampler},
 * {@link dev.jvision.tune.RandomSampler}, {@link dev.jvision.tune.GridSampler}), pruners
 * ({@link dev.jvision.tune.MedianPruner}, {@link dev.jvision.tune.SuccessiveHalvingPruner},
 * {@link dev.jvision.tune.HyperbandPruner}) and study storage shared by workers
 * ({@link dev.jvision.tune.JdbcStorage}: SQLite or PostgreSQL; {@link dev.jvision.tune.InMemoryStorage}).
 * {@link dev.jvision.tune.Tuning} and {@link dev.jvision.tune.ExperimentObjective} connect it to
 * jvision's trainer and configs ({@code jvision tune}); nothing here needs the CLI.
 */
package dev.jvision.tune;
