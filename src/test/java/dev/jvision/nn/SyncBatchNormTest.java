package dev.jvision.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.runtime.dist.DistEnv;
import dev.jvision.runtime.dist.ProcessGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The synchronised BatchNorm path on a one-rank Gloo group (the collectives are then the
 * identity, so the composition must reproduce libtorch's own batch_norm): same output, same
 * gradients of input, weight and bias, same running statistics. The cross-rank behaviour is in
 * {@code DataParallelTest}.
 */
class SyncBatchNormTest {
    @Test
    void synchronisedPathOnOneRankEqualsLibtorchBatchNorm() throws IOException {
        TorchSettings.setThreads(1);
        DistEnv env = new DistEnv(0, 0, 1, 1, "127.0.0.1", freePort());
        try (ProcessGroup group = ProcessGroup.open(env, Device.CPU, Duration.ofSeconds(30), Duration.ofSeconds(30));
             BatchNorm2d plain = new BatchNorm2d(5);
             BatchNorm2d synced = new BatchNorm2d(5);
             var scope = Memory.step()) {
            assertEquals(1, BatchNorm2d.synchronize(synced, group));
            assertTrue(synced.synchronizedAcrossRanks());
            torch.manual_seed(3);
            Tensor x = torch.randn(6, 5, 7, 3).mul(new Scalar(2.0)).add(new Scalar(0.5));
            Tensor dy = torch.randn(6, 5, 7, 3);
            for (BatchNorm2d bn : new BatchNorm2d[] {plain, synced}) {
                try (var ng = new org.bytedeco.pytorch.NoGradGuard()) {
                    bn.namedParameters().get("weight").copy_(torch.linspace(new Scalar(0.5), new Scalar(1.5), 5));
                    bn.namedParameters().get("bias").copy_(torch.linspace(new Scalar(-1), new Scalar(1), 5));
                }
                bn.train(true);
            }
            Tensor xa = x.detach().clone().requires_grad_(true);
            Tensor xb = x.detach().clone().requires_grad_(true);
            Tensor ya = plain.forward(xa);
            Tensor yb = synced.forward(xb);
            assertClose(ya, yb, 1e-5, "output");
            ya.mul(dy).sum().backward();
            yb.mul(dy).sum().backward();
            assertClose(xa.grad(), xb.grad(), 1e-5, "input gradient");
            for (String p : new String[] {"weight", "bias"}) {
                assertClose(plain.namedParameters().get(p).grad(), synced.namedParameters().get(p).grad(), 1e-4,
                        p + " gradient");
            }
            for (String b : new String[] {"running_mean", "running_var", "num_batches_tracked"}) {
                assertClose(plain.namedBuffers().get(b), synced.namedBuffers().get(b), 1e-6, b);
            }
            plain.train(false);
            synced.train(false);
            assertClose(plain.forward(x), synced.forward(x), 1e-5, "evaluation output");
        }
    }

    private static void assertClose(Tensor a, Tensor b, double tol, String what) {
        float[] x = Tensors.toFloats(a.to(torch.ScalarType.Float).contiguous());
        float[] y = Tensors.toFloats(b.to(torch.ScalarType.Float).contiguous());
        assertEquals(x.length, y.length, what);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        assertTrue(max <= tol, what + ": max difference " + max);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
