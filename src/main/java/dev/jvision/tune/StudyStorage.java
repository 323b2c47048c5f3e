package dev.jvision.tune;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where studies live: {@link InMemoryStorage} for one process, {@link JdbcStorage} (SQLite file
 * or PostgreSQL server) for studies that survive restarts and are shared by workers. Every
 * method is atomic; {@link #claim} is transactional across processes, so no trial number is
 * given out twice and the trial budget is counted over all workers. Implementations are
 * thread-safe (a worker's heartbeat thread calls {@link #heartbeat} beside its trial).
 */
public interface StudyStorage extends AutoCloseable {

    /**
     * The id of study {@code name}, created with {@code direction} if absent.
     *
     * @throws IllegalArgumentException if the study exists with the other direction
     */
    long openStudy(String name, Direction direction);

    /** The id of an existing study. @throws IllegalArgumentException naming the known studies if absent */
    long studyId(String name);

    /** The direction of a study. */
    Direction direction(long studyId);

    /** Names of all studies. */
    List<String> studyNames();

    /**
     * Claims the next trial for {@code worker}: the oldest {@link TrialState#WAITING} trial, else a
     * new one numbered one past the largest number. Returns empty when the study already counts
     * {@code maxTrials} trials (running, complete, pruned, and failed ones that were not
     * re-queued). One transaction.
     */
    Optional<Claim> claim(long studyId, int maxTrials, String worker);

    /** Records a suggested parameter of a running trial. */
    void setParam(long trialId, String name, Distribution distribution, double internal);

    /** Records an intermediate value (replacing one at the same step). */
    void report(long trialId, int step, double value);

    /** Refreshes a running trial's heartbeat. */
    void heartbeat(long trialId);

    /**
     * Ends a running trial. Returns false (and changes nothing) if it is no longer running, e.g.
     * because it was failed for a missed heartbeat.
     */
    boolean finish(long trialId, TrialState state, Double value);

    /**
     * Fails running trials of the study whose last heartbeat is older than {@code timeout} (by the
     * storage's clock); with {@code requeue} each gets a {@link TrialState#WAITING} copy of its
     * parameters. Returns the numbers of the failed trials.
     */
    List<Integer> failStale(long studyId, Duration timeout, boolean requeue);

    /** Queues a trial whose parameters (external values by name) are fixed in advance. */
    void enqueue(long studyId, Map<String, Object> params);

    /** All trials of a study by number. */
    List<FrozenTrial> trials(long studyId);

    /** One trial. */
    FrozenTrial trial(long trialId);

    /** Sets a study attribute (text), e.g. the search space it was created for. */
    void setStudyAttr(long studyId, String key, String value);

    /** Study attributes. */
    Map<String, String> studyAttrs(long studyId);

    @Override
    void close();

    /** A claimed trial: storage id, number and its fixed parameters (empty for a fresh trial). */
    record Claim(long trialId, int number, Map<String, Object> fixed) {}
}
