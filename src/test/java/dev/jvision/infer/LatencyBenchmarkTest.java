package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import org.junit.jupiter.api.Test;

class LatencyBenchmarkTest {
    @Test
    void run_reportsOrderedPercentilesAndThroughput() {
        NativeRuntime.init();
        Device cpu = Device.parse("cpu");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(3))) {
            LatencyBenchmark.Result r = LatencyBenchmark.run(m, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, 32, 2, 1,
                    5, cpu, false);
            assertEquals(5, r.iterations());
            assertEquals(2, r.batch());
            assertTrue(r.p50Ms() > 0 && r.p50Ms() <= r.p99Ms(), r.toString());
            assertEquals(2 * 1000.0 / r.meanMs(), r.imagesPerSecond(), 1e-6 * r.imagesPerSecond());
            assertThrows(IllegalArgumentException.class,
                    () -> LatencyBenchmark.run(m, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, 32, 0, 1, 5, cpu, false));
        }
    }

    @Test
    void percentile_nearestRank() {
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, LatencyBenchmark.percentile(v, 50));
        assertEquals(10, LatencyBenchmark.percentile(v, 99));
        assertEquals(1, LatencyBenchmark.percentile(new double[] {1}, 99));
    }
}
