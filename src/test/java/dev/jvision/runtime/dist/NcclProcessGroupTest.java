package dev.jvision.runtime.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The NCCL path on one GPU (a job of one rank): all-reduce and broadcast of CUDA tensors, the
 * backend chosen by {@code auto}, asynchronous all-reduce, SyncBatchNorm and the overlapped
 * gradient synchronisation on CUDA (where libtorch runs backward on its device thread).
 */
@Tag("gpu")
class NcclProcessGroupTest {
    /** Loads the native runtime, skips the test without a CUDA device, and returns a free loopback port. */
    private static int cudaAndFreePort() throws IOException {
        NativeRuntime.init();
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void ncclGroupOfOne_reducesAndBroadcastsCudaTensors() throws Exception {
        int port = cudaAndFreePort();
        Device cuda = Device.parse("cuda");
        try (ProcessGroup g = ProcessGroup.open(new DistEnv(0, 0, 1, 1, "127.0.0.1", port), cuda,
                Duration.ofSeconds(60), Duration.ofSeconds(60))) {
            Tensor t = Tensors.fromFloats(new float[] {1, 2, 3}, 3).to(cuda.toNative(), org.bytedeco.pytorch.global.torch.ScalarType.Float);
            g.allReduceSum(List.of(t));
            g.broadcast(List.of(t), 0);
            assertArrayEquals(new float[] {1, 2, 3}, Tensors.toFloats(t.cpu()));
        }
    }

    @Test
    void autoBackendOnCuda_isNccl_andSyncBatchNormAndOverlapRunThere() throws Exception {
        int port = cudaAndFreePort();
        Device cuda = Device.parse("cuda");
        try (ProcessGroup g = ProcessGroup.open(new DistEnv(0, 0, 1, 1, "127.0.0.1", port), cuda,
                ProcessGroup.Kind.AUTO, Duration.ofSeconds(60), Duration.ofSeconds(60));
             var scope = dev.jvision.runtime.Memory.step();
             dev.jvision.nn.BatchNorm2d plain = new dev.jvision.nn.BatchNorm2d(4);
             dev.jvision.nn.BatchNorm2d synced = new dev.jvision.nn.BatchNorm2d(4)) {
            assertEquals(ProcessGroup.Kind.NCCL, g.kind());
            Tensor a = Tensors.fromFloats(new float[] {4, 5}, 2).to(cuda.toNative(), torch.ScalarType.Float);
            g.allReduceSumAsync(a).await();
            assertArrayEquals(new float[] {4, 5}, Tensors.toFloats(a.cpu()));

            plain.to(cuda);
            synced.to(cuda);
            dev.jvision.nn.BatchNorm2d.synchronize(synced, g);
            torch.manual_seed(5);
            Tensor x = torch.randn(8, 4, 5, 5).to(cuda.toNative(), torch.ScalarType.Float);
            Tensor xa = x.detach().clone().requires_grad_(true);
            Tensor xb = x.detach().clone().requires_grad_(true);
            Tensor ya = plain.forward(xa);
            Tensor yb = synced.forward(xb);
            GradientSync sync = new GradientSync(g, 64, true, true);
            List<Tensor> params = new java.util.ArrayList<>(synced.namedParameters().values());
            sync.beforeLastBackward(params);
            yb.mul(yb).sum().backward();
            ya.mul(ya).sum().backward();
            sync.averageGradients(params);
            assertTrue(sync.bucketsStartedInBackward() > 0, "buckets started from the backward hooks");
            assertClose(ya, yb, "output");
            assertClose(xa.grad(), xb.grad(), "input gradient");
            assertClose(plain.namedParameters().get("weight").grad(), synced.namedParameters().get("weight").grad(),
                    "weight gradient");
            assertClose(plain.namedBuffers().get("running_var"), synced.namedBuffers().get("running_var"), "running_var");
        }
    }

    private static void assertClose(Tensor a, Tensor b, String what) {
        float[] x = Tensors.toFloats(a.cpu().contiguous());
        float[] y = Tensors.toFloats(b.cpu().contiguous());
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        assertTrue(max <= 1e-4, what + ": max difference " + max);
    }
}
