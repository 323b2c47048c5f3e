package dev.jvision.train;

import dev.jvision.data.BatchLoader;
import dev.jvision.data.Dataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loader of the current epoch's stage ({@link EpochPlan}: progressive resize): one
 * loader while size and batch size stay, closed and rebuilt when the plan changes them. The image
 * order of an epoch does not depend on the stage, so resuming at any epoch and batch picks the
 * same images. Below the final size the items come from {@link Dataset#atSize} (manifest data: an
 * image cache at the stage's size, built when the stage starts), so a stage's pixels are those of
 * decoding straight to its size. Owns the loader and the staged dataset; not thread-safe.
 */
final class TrainLoaders implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FitLoop.class);
    private final Dataset train;
    private final long seed;
    private final EpochPlan plan;
    private final DataParallel parallel;
    private final int finalSize;
    private final boolean progressive;
    private final int prefetch;
    private final int fold;
    private BatchLoader loader;
    private Dataset staged;
    private int size;
    private int batchSize;

    TrainLoaders(Dataset train, long seed, EpochPlan plan, DataParallel parallel, int finalSize, boolean progressive,
                 int prefetch, int fold) {
        this.train = train;
        this.seed = seed;
        this.plan = plan;
        this.parallel = parallel;
        this.finalSize = finalSize;
        this.progressive = progressive;
        this.prefetch = prefetch;
        this.fold = fold;
    }

    /** The loader of 0-based epoch {@code e}. */
    BatchLoader at(int e) {
        int s = plan.imgSize(e);
        int b = plan.batchSize(e);
        if (loader == null || s != size || b != batchSize) {
            close();
            if (s != finalSize) {
                staged = parallel.atSize(train, s);
            }
            BatchLoader l = new BatchLoader(staged != null ? staged : train, s, b, true, seed,
                    plan.dropLast(train.size(), parallel.worldSize(), e), prefetch);
            parallel.shard(l);
            EpochPlan.checkAgainst(l, plan, e);
            if (progressive) {
                LOG.info("fold {} epoch {}: training at {} px, batch {} ({} batches)", fold, e + 1, s, b,
                        plan.batches(e));
            }
            loader = l;
            size = s;
            batchSize = b;
        }
        return loader;
    }

    @Override
    public void close() {
        if (loader != null) {
            loader.close();
            loader = null;
        }
        if (staged != null && staged != train && staged instanceof AutoCloseable ac) {
            try {
                ac.close();
            } catch (Exception ex) {
                LOG.warn("closing the stage's image cache: {}", ex.toString());
            }
        }
        staged = null;
    }
}
