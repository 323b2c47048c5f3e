package dev.jvision.train;

import dev.jvision.data.BatchLoader;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.nn.BatchNorm2d;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.LoggerFactory;

/**
 * How a fit spreads over processes: the strategy the {@link FitLoop} calls wherever a
 * data-parallel fit differs from a single-process one (weights broadcast at start, data shards,
 * the shared clock of {@code train.max_time}, validation split over the ranks and gathered).
 * {@link #single()} is one process; {@link #of(GradientSync)} averages gradients over a process
 * group. Immutable; used by the training thread only.
 */
abstract class DataParallel {
    /** This process's rank. */
    abstract int rank();

    /** Processes training together. */
    abstract int worldSize();

    /** True when this process writes logs and checkpoints (rank 0). */
    final boolean isMain() {
        return rank() == 0;
    }

    /** The gradient averaging the step engine runs before each optimiser step, or null. */
    abstract GradientSync gradientSync();

    /** Makes every rank start from rank 0's weights (and synchronises BatchNorm when configured). */
    abstract void prepare(ImageModel model);

    /** The training items at {@code size} pixels (progressive resize), built by all ranks together. */
    abstract Dataset atSize(Dataset train, int size);

    /** Restricts {@code loader} to this rank's share of every epoch. */
    abstract void shard(BatchLoader loader);

    /** Training time spent against {@code train.max_time}: the largest over the ranks, so they stop together. */
    abstract long spentNanos(long mine, boolean limited);

    /** The smallest of every rank's {@code batch}: all ranks must run the same steps. */
    abstract int smallest(int batch);

    /** The task's prediction rows of every validation item, in order, on every rank. */
    abstract float[][] predict(ImageModel model, Task.Session session, Dataset val, int size, int batchSize,
                               int prefetch, Device device);

    /** One process. */
    static DataParallel single() {
        return Single.INSTANCE;
    }

    /** Data-parallel over {@code sync}'s process group. */
    static DataParallel of(GradientSync sync) {
        return new Ranks(sync);
    }

    private static final class Single extends DataParallel {
        static final Single INSTANCE = new Single();

        @Override
        int rank() {
            return 0;
        }

        @Override
        int worldSize() {
            return 1;
        }

        @Override
        GradientSync gradientSync() {
            return null;
        }

        @Override
        void prepare(ImageModel model) {}

        @Override
        Dataset atSize(Dataset train, int size) {
            return train.atSize(size);
        }

        @Override
        void shard(BatchLoader loader) {}

        @Override
        long spentNanos(long mine, boolean limited) {
            return mine;
        }

        @Override
        int smallest(int batch) {
            return batch;
        }

        @Override
        float[][] predict(ImageModel model, Task.Session session, Dataset val, int size, int batchSize, int prefetch,
                          Device device) {
            return Evaluator.predict(model, session, val, size, batchSize, prefetch, device);
        }
    }

    private static final class Ranks extends DataParallel {
        private final GradientSync sync;

        Ranks(GradientSync sync) {
            this.sync = sync;
        }

        @Override
        int rank() {
            return sync.group().rank();
        }

        @Override
        int worldSize() {
            return sync.group().worldSize();
        }

        @Override
        GradientSync gradientSync() {
            return sync;
        }

        @Override
        void prepare(ImageModel model) {
            if (sync.syncBatchNorm()) {
                int n = BatchNorm2d.synchronize(model, sync.group());
                LoggerFactory.getLogger(FitLoop.class).info("SyncBatchNorm: {} BatchNorm layers use global-batch "
                        + "statistics", n);
            }
            sync.broadcast(new ArrayList<>(model.stateDict().values()));
        }

        @Override
        Dataset atSize(Dataset train, int size) {
            return train.atSize(size, rank(), worldSize(), sync.group()::barrier);
        }

        @Override
        void shard(BatchLoader loader) {
            loader.shard(rank(), worldSize());
        }

        @Override
        long spentNanos(long mine, boolean limited) {
            if (!limited) {
                return mine;
            }
            float ms = 0;
            for (float[] r : sync.group().allGatherRows(new float[][] {{mine / 1e6f}}, 1)) {
                ms = Math.max(ms, r[0]);
            }
            return (long) (ms * 1e6);
        }

        @Override
        int smallest(int batch) {
            int out = batch;
            for (float[] r : sync.group().allGatherRows(new float[][] {{batch}}, 1)) {
                out = Math.min(out, (int) r[0]);
            }
            return out;
        }

        /**
         * Rank 0's buffers are broadcast, each rank predicts every N-th item and the rows are
         * gathered on all ranks, so every rank holds the predictions rank 0 alone would compute.
         */
        @Override
        float[][] predict(ImageModel model, Task.Session session, Dataset val, int size, int batchSize, int prefetch,
                          Device device) {
            // BatchNorm running statistics are per rank (each saw its own batches): predict with rank 0's,
            // the ones its checkpoints hold, so all ranks and a resumed run agree
            List<Tensor> buffers = new ArrayList<>(model.namedBuffers().values());
            if (!buffers.isEmpty()) {
                sync.broadcast(buffers);
            }
            int world = worldSize();
            int rank = rank();
            int[] mine = IntStream.range(0, val.size()).filter(i -> i % world == rank).toArray();
            float[][] part = mine.length == 0 ? new float[0][] : Evaluator.predict(model, session, subset(val, mine),
                    size, batchSize, prefetch, device);
            return gather(part, mine, val.size());
        }

        /** Rows may differ in length: each is sent with its index and length, padded to the widest. */
        private float[][] gather(float[][] part, int[] mine, int total) {
            int width = 0;
            for (float[] r : part) {
                width = Math.max(width, r.length);
            }
            for (float[] r : sync.group().allGatherRows(new float[][] {{width}}, 1)) {
                width = Math.max(width, (int) r[0]);
            }
            float[][] rows = new float[part.length][];
            for (int i = 0; i < part.length; i++) {
                rows[i] = new float[width + 2];
                rows[i][0] = mine[i];
                rows[i][1] = part[i].length;
                System.arraycopy(part[i], 0, rows[i], 2, part[i].length);
            }
            float[][] out = new float[total][];
            for (float[] r : sync.group().allGatherRows(rows, width + 2)) {
                out[(int) r[0]] = Arrays.copyOfRange(r, 2, 2 + (int) r[1]);
            }
            return out;
        }

        private static Dataset subset(Dataset val, int[] mine) {
            return new Dataset() {
                @Override
                public int size() {
                    return mine.length;
                }

                @Override
                public Item get(int index) throws IOException {
                    return val.get(mine[index]);
                }

                @Override
                public int label(int index) {
                    return val.label(mine[index]);
                }

                @Override
                public String id(int index) {
                    return val.id(mine[index]);
                }
            };
        }
    }
}
