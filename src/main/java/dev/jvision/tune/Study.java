package dev.jvision.tune;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hyper-parameter search: a named set of trials in a {@link StudyStorage}, a {@link Sampler}
 * that proposes parameters and a {@link Pruner} that stops poor trials early. Any number of
 * workers (threads, processes, machines) may run {@link #optimize} on the same study in a
 * shared storage: each claims trials transactionally until the study holds {@code nTrials}
 * counted trials, heartbeats its running trial, and fails (optionally re-queues) the trials of
 * workers whose heartbeat stopped. Re-running a worker continues the study.
 *
 * <pre>{@code
 * Study study = Study.builder("branin").direction(Direction.MINIMIZE)
 *         .sampler(TpeSampler.builder().seed(1).build()).build();
 * study.optimize(t -> branin(t.suggestFloat("x", -5, 10), t.suggestFloat("y", 0, 15)), 50);
 * FrozenTrial best = study.bestTrial().orElseThrow();
 * }</pre>
 *
 * <p>Log lines show a search space's conditional parameter ({@code key|cond=value}) under its
 * config key ({@link SearchSpace#configKey}).
 *
 * <p>A study object does not own its storage (close that yourself). {@link #optimize} runs one
 * trial at a time on the calling thread; several threads may each call it on the same study.
 */
public final class Study {
    static final Logger LOG = LoggerFactory.getLogger(Study.class);

    private final String name;
    private final StudyStorage storage;
    private final long id;
    private final Direction direction;
    private final Sampler sampler;
    private final Pruner pruner;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final boolean requeueFailed;
    private final int maxConsecutiveFailures;
    private final String worker;

    private Study(Builder b) {
        this.name = b.name;
        this.storage = b.storage != null ? b.storage : new InMemoryStorage();
        this.direction = b.direction;
        this.id = storage.openStudy(name, direction);
        this.sampler = b.sampler != null ? b.sampler : TpeSampler.builder().build();
        this.pruner = b.pruner;
        this.heartbeatInterval = b.heartbeatInterval;
        this.heartbeatTimeout = b.heartbeatTimeout;
        this.requeueFailed = b.requeueFailed;
        this.maxConsecutiveFailures = b.maxConsecutiveFailures;
        this.worker = b.worker != null ? b.worker : ManagementFactory.getRuntimeMXBean().getName();
    }

    /** Configures (and creates or loads) study {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Configures a {@link Study}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private StudyStorage storage;
        private Direction direction = Direction.MINIMIZE;
        private Sampler sampler;
        private Pruner pruner = Pruner.NONE;
        private Duration heartbeatInterval = Duration.ofSeconds(30);
        private Duration heartbeatTimeout = Duration.ofSeconds(120);
        private boolean requeueFailed;
        private int maxConsecutiveFailures = 5;
        private String worker;

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("study name: '" + name + "' (expected: a non-blank name)");
            }
            this.name = name;
        }

        /** Where the study lives (default: a new {@link InMemoryStorage}). */
        public Builder storage(StudyStorage storage) {
            this.storage = storage;
            return this;
        }

        /** Default MINIMIZE; must match an existing study's. */
        public Builder direction(Direction direction) {
            this.direction = direction;
            return this;
        }

        /** Default: {@link TpeSampler} with its defaults. */
        public Builder sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /** Default: {@link Pruner#NONE}. */
        public Builder pruner(Pruner pruner) {
            this.pruner = pruner;
            return this;
        }

        /** How often a running trial's heartbeat is written (default 30 s) and when a silent one is failed (default 120 s). */
        public Builder heartbeat(Duration interval, Duration timeout) {
            if (interval.isNegative() || interval.isZero() || timeout.compareTo(interval) <= 0) {
                throw new IllegalArgumentException("heartbeat interval " + interval + ", timeout " + timeout
                        + " (expected: interval > 0, timeout > interval)");
            }
            this.heartbeatInterval = interval;
            this.heartbeatTimeout = timeout;
            return this;
        }

        /** Whether a trial failed for a missed heartbeat is queued again with its parameters (default false). */
        public Builder requeueFailed(boolean on) {
            this.requeueFailed = on;
            return this;
        }

        /** A worker stops with an exception after this many failed trials in a row (default 5). */
        public Builder maxConsecutiveFailures(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("max consecutive failures: " + n + " (expected: >= 1)");
            }
            this.maxConsecutiveFailures = n;
            return this;
        }

        /** This worker's name in the storage (default: pid@host). */
        public Builder worker(String worker) {
            this.worker = worker;
            return this;
        }

        /** Creates the study in the storage, or loads it. */
        public Study build() {
            return new Study(this);
        }
    }

    /** Runs trials until the study counts {@code nTrials} (over all workers). Returns the trials this call ran. */
    public int optimize(Objective objective, int nTrials) {
        return optimize(objective, nTrials, null);
    }

    /**
     * Runs trials on this thread until the study counts {@code nTrials} trials (running,
     * complete, pruned and failed; re-queued failures are replaced by their copy), the sampler
     * has nothing new to offer, or {@code timeout} (null for none) has passed since the call
     * began (a trial already running finishes). With {@link Builder#requeueFailed}, a worker
     * whose budget is used up waits while other workers' trials still run, since one of them may
     * die and come back as a queued trial. Returns the number of trials this call ran.
     *
     * @throws IllegalStateException after {@code maxConsecutiveFailures} failed trials in a row (with the last cause)
     */
    public int optimize(Objective objective, int nTrials, Duration timeout) {
        if (nTrials < 1) {
            throw new IllegalArgumentException("n_trials: " + nTrials + " (expected: >= 1)");
        }
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        int budget = Math.min(nTrials, sampler.maxTrials());
        int ran = 0;
        int failuresInRow = 0;
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jvision-tune-heartbeat");
            t.setDaemon(true);
            return t;
        });
        try {
            while (System.nanoTime() < deadline) {
                List<Integer> stale = storage.failStale(id, heartbeatTimeout, requeueFailed);
                if (!stale.isEmpty()) {
                    LOG.warn("study {}: trials {} failed: no heartbeat for {} s{}", name, stale,
                            heartbeatTimeout.toSeconds(), requeueFailed ? " (re-queued)" : "");
                }
                Optional<StudyStorage.Claim> claim = storage.claim(id, budget, worker);
                if (claim.isEmpty()) {
                    // with re-queueing, a trial still running elsewhere may yet come back: wait for it
                    if (requeueFailed && othersRunning()) {
                        sleep(heartbeatInterval);
                        continue;
                    }
                    break;
                }
                StudyStorage.Claim c = claim.get();
                Trial trial = new Trial(this, c.trialId(), c.number(), c.fixed(), storage.trials(id));
                long ms = heartbeatInterval.toMillis();
                ScheduledFuture<?> beat = beats.scheduleAtFixedRate(() -> {
                    try {
                        storage.heartbeat(c.trialId());
                    } catch (RuntimeException e) {
                        LOG.warn("study {}: heartbeat of trial {} failed: {}", name, c.number(), e.toString());
                    }
                }, ms, ms, TimeUnit.MILLISECONDS);
                TrialState state;
                Double value = null;
                Throwable failure = null;
                try {
                    double v = objective.evaluate(trial);
                    if (Double.isNaN(v)) {
                        state = TrialState.FAIL;
                        failure = new IllegalStateException("objective returned NaN");
                    } else {
                        state = TrialState.COMPLETE;
                        value = v;
                    }
                } catch (TrialPruned p) {
                    state = TrialState.PRUNED;
                    FrozenTrial now = storage.trial(c.trialId());
                    value = now.intermediate().isEmpty() ? null : now.intermediate().lastEntry().getValue();
                } catch (Exception | Error e) {
                    state = TrialState.FAIL;
                    failure = e;
                } finally {
                    beat.cancel(false);
                }
                boolean recorded = storage.finish(c.trialId(), state, value);
                ran++;
                log(c.number(), state, value, trial, failure, recorded);
                if (failure instanceof Error err) {
                    throw err;
                }
                failuresInRow = state == TrialState.FAIL ? failuresInRow + 1 : 0;
                if (failuresInRow >= maxConsecutiveFailures) {
                    throw new IllegalStateException("study " + name + ": " + failuresInRow
                            + " trials failed in a row; last: " + failure, failure);
                }
            }
        } finally {
            beats.shutdownNow();
        }
        return ran;
    }

    private boolean othersRunning() {
        for (FrozenTrial t : storage.trials(id)) {
            if (t.state() == TrialState.RUNNING) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for other workers' trials", e);
        }
    }

    private void log(int number, TrialState state, Double value, Trial trial, Throwable failure, boolean recorded) {
        if (!recorded) {
            LOG.warn("study {}: trial {} ended as {} but had already been failed (missed heartbeats?); result dropped",
                    name, number, state);
            return;
        }
        switch (state) {
            case COMPLETE -> {
                Optional<FrozenTrial> best = bestTrial();
                LOG.info("Trial {} finished with value {} and parameters {}. Best is trial {} with value {}.", number,
                        value, SearchSpace.byConfigKey(trial.params()), best.map(FrozenTrial::number).orElse(-1),
                        best.map(FrozenTrial::value).orElse(null));
            }
            case PRUNED -> LOG.info("Trial {} pruned at step {} (value {}).", number, trial.lastStep(), value);
            default -> LOG.warn("Trial {} failed with parameters {}: {}", number, SearchSpace.byConfigKey(trial.params()),
                    failure == null ? "?" : failure.toString());
        }
    }

    /** Queues a trial with these parameters (external values); it runs before new samples. */
    public void enqueue(Map<String, Object> params) {
        storage.enqueue(id, params);
    }

    /** All trials, by number (a fresh read of the storage). */
    public List<FrozenTrial> trials() {
        return storage.trials(id);
    }

    /** The best complete trial (first one on ties), if any. */
    public Optional<FrozenTrial> bestTrial() {
        FrozenTrial best = null;
        for (FrozenTrial t : storage.trials(id)) {
            if (t.state() == TrialState.COMPLETE && (best == null || direction.better(t.value(), best.value()))) {
                best = t;
            }
        }
        return Optional.ofNullable(best);
    }

    public String name() {
        return name;
    }

    public Direction direction() {
        return direction;
    }

    public Sampler sampler() {
        return sampler;
    }

    public Pruner pruner() {
        return pruner;
    }

    /** The storage (not owned by the study). */
    public StudyStorage storage() {
        return storage;
    }

    long id() {
        return id;
    }
}
