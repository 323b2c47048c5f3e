package dev.jvision.track;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a long loop: a console bar (with ETA and a message such as loss, lr, img/s) when
 * standard error is a terminal (and the optional progress-bar library is present, see
 * {@link ConsoleBar}), otherwise a log line every quarter of the work, so that logs and
 * CI output stay readable. Not thread-safe.
 */
public final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    private final ConsoleBar bar;
    private final String task;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long nextLog;
    private String message = "";

    private Progress(String task, long total, boolean console) {
        this.task = task;
        this.total = total;
        this.nextLog = Math.max(1, total / 4);
        this.bar = console ? ConsoleBar.open(task, total, true) : null;
    }

    /** Starts tracking {@code total} units of {@code task}. */
    public static Progress start(String task, long total) {
        boolean console = System.console() != null && !"false".equals(System.getProperty("jvision.progress"));
        return new Progress(task, total, console);
    }

    /** Advances by {@code n} units and sets the message shown beside the bar. */
    public void step(long n, String msg) {
        done += n;
        message = msg;
        if (bar != null) {
            bar.step(n);
            bar.message(" " + msg);
        } else if (done >= nextLog || done == total) {
            LOG.info("{} {}/{} {} (eta {})", task, done, total, msg, eta());
            nextLog = done + Math.max(1, total / 4);
        }
    }

    private String eta() {
        if (done == 0) {
            return "?";
        }
        double perUnit = (System.nanoTime() - start) / (double) done;
        Duration d = Duration.ofNanos((long) (perUnit * (total - done)));
        return String.format("%d:%02d", d.toMinutes(), d.toSecondsPart());
    }

    /** The last message. */
    public String message() {
        return message;
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
