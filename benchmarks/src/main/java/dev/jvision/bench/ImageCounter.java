package dev.jvision.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH secondary counter: images processed. In {@code Mode.Throughput} JMH reports it as a rate,
 * so the result table shows an {@code images} row in images/s next to the primary steps/s.
 * One per benchmark thread; reset before every iteration.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class ImageCounter {
    /** Images seen in the current iteration (public: JMH reads public fields). */
    public long images;

    @Setup(Level.Iteration)
    public void reset() {
        images = 0;
    }
}
