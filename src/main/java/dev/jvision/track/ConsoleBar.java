package dev.jvision.track;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar drawn on standard error, over the {@code me.tongfei:progressbar} library.
 * That library is an optional dependency (the {@code jvision} launcher has it, an application
 * embedding jvision need not): {@link #open} returns null without it, and callers then log their
 * progress instead. This is the only class that names the library. The caller owns the bar and
 * closes it; {@link #step} may be called from several threads.
 */
public final class ConsoleBar implements AutoCloseable {
    private static final boolean AVAILABLE = present();
    private final ProgressBar bar;

    private ConsoleBar(ProgressBar bar) {
        this.bar = bar;
    }

    private static boolean present() {
        try {
            Class.forName("me.tongfei.progressbar.ProgressBar", false, ConsoleBar.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A bar for {@code total} units of {@code task} when standard error is a terminal and the
     * progress-bar library is on the class path; null otherwise.
     *
     * @param compact an ASCII bar at most 120 characters wide, redrawn at most every 250 ms
     */
    public static ConsoleBar open(String task, long total, boolean compact) {
        if (!AVAILABLE || System.console() == null) {
            return null;
        }
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total);
        if (compact) {
            b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(120);
        } else {
            b.setConsumer(new ConsoleProgressBarConsumer(System.err));
        }
        return new ConsoleBar(b.build());
    }

    /** Advances by {@code n} units. */
    public void step(long n) {
        bar.stepBy(n);
    }

    /** Sets the text shown after the bar. */
    public void message(String text) {
        bar.setExtraMessage(text);
    }

    @Override
    public void close() {
        bar.close();
    }
}
