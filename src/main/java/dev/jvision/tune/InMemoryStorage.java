package dev.jvision.tune;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Studies in this process's memory, lost when it exits: for tests and for searches that need no
 * sharing. Thread-safe (every method is synchronized).
 */
public final class InMemoryStorage implements StudyStorage {
    private final Map<String, Long> ids = new LinkedHashMap<>();
    private final List<StudyRow> studies = new ArrayList<>();
    private final List<TrialRow> trials = new ArrayList<>();

    private static final class StudyRow {
        final String name;
        final Direction direction;
        final Map<String, String> attrs = new LinkedHashMap<>();

        StudyRow(String name, Direction direction) {
            this.name = name;
            this.direction = direction;
        }
    }

    private static final class TrialRow {
        final long id;
        final long studyId;
        final int number;
        TrialState state;
        Double value;
        final Map<String, Double> params = new LinkedHashMap<>();
        final Map<String, Distribution> dists = new LinkedHashMap<>();
        final TreeMap<Integer, Double> intermediate = new TreeMap<>();
        final Map<String, Object> fixed;
        String worker;
        long start;
        long end;
        long heartbeat;
        boolean requeued;

        TrialRow(long id, long studyId, int number, TrialState state, Map<String, Object> fixed) {
            this.id = id;
            this.studyId = studyId;
            this.number = number;
            this.state = state;
            this.fixed = new LinkedHashMap<>(fixed);
        }

        FrozenTrial freeze() {
            return new FrozenTrial(id, number, state, value, params, dists, intermediate, fixed, worker, start, end);
        }
    }

    @Override
    public synchronized long openStudy(String name, Direction direction) {
        Long id = ids.get(name);
        if (id != null) {
            Direction d = studies.get(id.intValue()).direction;
            if (d != direction) {
                throw new IllegalArgumentException("study '" + name + "': direction " + direction
                        + " (expected: " + d + ", the study's)");
            }
            return id;
        }
        studies.add(new StudyRow(name, direction));
        ids.put(name, (long) studies.size() - 1);
        return studies.size() - 1;
    }

    @Override
    public synchronized long studyId(String name) {
        Long id = ids.get(name);
        if (id == null) {
            throw new IllegalArgumentException("study '" + name + "': not found (expected: one of " + ids.keySet() + ")");
        }
        return id;
    }

    @Override
    public synchronized Direction direction(long studyId) {
        return studies.get((int) studyId).direction;
    }

    @Override
    public synchronized List<String> studyNames() {
        return List.copyOf(ids.keySet());
    }

    @Override
    public synchronized Optional<Claim> claim(long studyId, int maxTrials, String worker) {
        int counted = 0;
        int next = 0;
        TrialRow waiting = null;
        for (TrialRow t : trials) {
            if (t.studyId != studyId) {
                continue;
            }
            next = Math.max(next, t.number + 1);
            if (counts(t.state, t.requeued)) {
                counted++;
            }
            if (t.state == TrialState.WAITING && waiting == null) {
                waiting = t;
            }
        }
        if (counted >= maxTrials) {
            return Optional.empty();
        }
        long now = System.currentTimeMillis();
        TrialRow t = waiting;
        if (t == null) {
            t = new TrialRow(trials.size(), studyId, next, TrialState.RUNNING, Map.of());
            trials.add(t);
        }
        t.state = TrialState.RUNNING;
        t.worker = worker;
        t.start = now;
        t.heartbeat = now;
        return Optional.of(new Claim(t.id, t.number, t.fixed));
    }

    static boolean counts(TrialState s, boolean requeued) {
        return s == TrialState.RUNNING || s == TrialState.COMPLETE || s == TrialState.PRUNED
                || (s == TrialState.FAIL && !requeued);
    }

    @Override
    public synchronized void setParam(long trialId, String name, Distribution distribution, double internal) {
        TrialRow t = trials.get((int) trialId);
        t.params.put(name, internal);
        t.dists.put(name, distribution);
    }

    @Override
    public synchronized void report(long trialId, int step, double value) {
        trials.get((int) trialId).intermediate.put(step, value);
    }

    @Override
    public synchronized void heartbeat(long trialId) {
        trials.get((int) trialId).heartbeat = System.currentTimeMillis();
    }

    @Override
    public synchronized boolean finish(long trialId, TrialState state, Double value) {
        TrialRow t = trials.get((int) trialId);
        if (t.state != TrialState.RUNNING) {
            return false;
        }
        t.state = state;
        t.value = value;
        t.end = System.currentTimeMillis();
        return true;
    }

    @Override
    public synchronized List<Integer> failStale(long studyId, Duration timeout, boolean requeue) {
        long limit = System.currentTimeMillis() - timeout.toMillis();
        List<Integer> failed = new ArrayList<>();
        List<TrialRow> copies = new ArrayList<>();
        int next = 0;
        for (TrialRow t : trials) {
            if (t.studyId == studyId) {
                next = Math.max(next, t.number + 1);
            }
        }
        for (TrialRow t : trials) {
            if (t.studyId == studyId && t.state == TrialState.RUNNING && t.heartbeat < limit) {
                t.state = TrialState.FAIL;
                t.end = System.currentTimeMillis();
                failed.add(t.number);
                if (requeue) {
                    t.requeued = true;
                    Map<String, Object> fixed = new LinkedHashMap<>(t.fixed);
                    fixed.putAll(t.freeze().externalParams());
                    copies.add(new TrialRow(trials.size() + copies.size(), studyId, next++, TrialState.WAITING, fixed));
                }
            }
        }
        trials.addAll(copies);
        return failed;
    }

    @Override
    public synchronized void enqueue(long studyId, Map<String, Object> params) {
        int next = 0;
        for (TrialRow t : trials) {
            if (t.studyId == studyId) {
                next = Math.max(next, t.number + 1);
            }
        }
        trials.add(new TrialRow(trials.size(), studyId, next, TrialState.WAITING, params));
    }

    @Override
    public synchronized List<FrozenTrial> trials(long studyId) {
        List<FrozenTrial> out = new ArrayList<>();
        for (TrialRow t : trials) {
            if (t.studyId == studyId) {
                out.add(t.freeze());
            }
        }
        out.sort((a, b) -> Integer.compare(a.number(), b.number()));
        return out;
    }

    @Override
    public synchronized FrozenTrial trial(long trialId) {
        return trials.get((int) trialId).freeze();
    }

    @Override
    public synchronized void setStudyAttr(long studyId, String key, String value) {
        studies.get((int) studyId).attrs.put(key, value);
    }

    @Override
    public synchronized Map<String, String> studyAttrs(long studyId) {
        return Map.copyOf(studies.get((int) studyId).attrs);
    }

    @Override
    public void close() {}
}
