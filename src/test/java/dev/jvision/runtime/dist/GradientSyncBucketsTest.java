package dev.jvision.runtime.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvision.runtime.NativeRuntime;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gradient buckets: tensors of one dtype share a bucket up to its byte limit; a new bucket
 * starts only at the limit or where the dtype changes. (JavaCPP returns a new enum object for
 * each {@code scalar_type()}, so comparing those objects with {@code !=} split every tensor into
 * its own bucket, one all-reduce per parameter.)
 */
class GradientSyncBucketsTest {
    @BeforeAll
    static void init() {
        NativeRuntime.init();
    }

    @Test
    void buckets_sameDtype_fillUpToTheByteLimit() {
        List<Tensor> ts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ts.add(torch.zeros(100)); // 400 bytes each
        }
        GradientSync sync = new GradientSync(null, 1000);
        List<List<Tensor>> b = sync.buckets(ts);
        assertEquals(List.of(2, 2, 2, 2, 2), b.stream().map(List::size).toList());
    }

    @Test
    void buckets_dtypeChange_startsANewBucket() {
        List<Tensor> ts = List.of(torch.zeros(10), torch.zeros(10),
                torch.zeros(10).to(torch.ScalarType.Double), torch.zeros(10).to(torch.ScalarType.Double),
                torch.zeros(10));
        GradientSync sync = new GradientSync(null, 1 << 20);
        assertEquals(List.of(2, 2, 1), sync.buckets(ts).stream().map(List::size).toList());
    }
}
