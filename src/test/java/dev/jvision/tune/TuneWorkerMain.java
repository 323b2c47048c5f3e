package dev.jvision.tune;

import java.time.Duration;

/**
 * A study worker in its own JVM for the multi-process tests: {@code storage study nTrials
 * sleepMs} runs a cheap objective (sleeping {@code sleepMs} per trial so workers overlap) with
 * 200 ms heartbeats, a 1.5 s heartbeat timeout and re-queueing.
 */
public final class TuneWorkerMain {
    private TuneWorkerMain() {}

    public static void main(String[] args) throws Exception {
        String spec = args[0];
        String name = args[1];
        int n = Integer.parseInt(args[2]);
        long sleep = Long.parseLong(args[3]);
        try (JdbcStorage storage = JdbcStorage.open(spec)) {
            Study study = Study.builder(name).storage(storage).direction(Direction.MINIMIZE)
                    .sampler(TpeSampler.builder().seed(7).nStartupTrials(4).build())
                    .heartbeat(Duration.ofMillis(200), Duration.ofMillis(1500)).requeueFailed(true)
                    .worker("w" + ProcessHandle.current().pid()).build();
            study.optimize(t -> {
                double x = t.suggestFloat("x", -3, 3);
                int k = t.suggestInt("k", 1, 5);
                Thread.sleep(sleep);
                return x * x + k;
            }, n);
        }
        System.out.println("worker done");
    }
}
