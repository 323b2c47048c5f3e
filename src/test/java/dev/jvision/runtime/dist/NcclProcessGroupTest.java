package dev.jvision.runtime.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The NCCL path on one GPU (a job of one rank): all-reduce and broadcast of CUDA tensors. */
@Tag("gpu")
class NcclProcessGroupTest {
    @Test
    void ncclGroupOfOne_reducesAndBroadcastsCudaTensors() throws Exception {
        NativeRuntime.init();
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Device cuda = Device.parse("cuda");
        try (ProcessGroup g = ProcessGroup.open(new DistEnv(0, 0, 1, 1, "127.0.0.1", port), cuda,
                Duration.ofSeconds(60), Duration.ofSeconds(60))) {
            Tensor t = Tensors.fromFloats(new float[] {1, 2, 3}, 3).to(cuda.toNative(), org.bytedeco.pytorch.global.torch.ScalarType.Float);
            g.allReduceSum(List.of(t));
            g.broadcast(List.of(t), 0);
            assertArrayEquals(new float[] {1, 2, 3}, Tensors.toFloats(t.cpu()));
        }
    }
}
