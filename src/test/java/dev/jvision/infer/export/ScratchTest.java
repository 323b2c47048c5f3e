package dev.jvision.infer.export;

import dev.jvision.infer.onnx.OnnxModel;
import dev.jvision.models.*;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void scratch() throws Exception {
        dev.jvision.runtime.TorchSettings.setThreads(2);
        String name = System.getProperty("m", "tf_efficientnetv2_b0");
        int size = Integer.getInteger("s", 64);
        for (boolean fold : new boolean[] {true, false}) {
            String arch = System.getProperty("arch");
            try (ImageModel m = arch == null ? Models.create(name, ModelOptions.of(17))
                    : EfficientNetV2.create(new EfficientNetV2.Arch(java.util.Arrays.stream(arch.split(";")).map(st -> List.of(st.split(","))).toList(), 1.0, 1.0, 0.0, 32, 64, Boolean.getBoolean("tf"), 1e-3), ModelOptions.of(17))) {
                if (!Boolean.getBoolean("plain")) SeededModels.fill(m, OnnxParityTest.bnVarLog2(name));
                m.train(false);
                float[] in = OnnxParityTest.input(2, size, 1);
                float[][] e = OnnxParityTest.forward(m, in, 2, size);
                Path f = Path.of("/tmp/scratch/" + name + fold + ".onnx");
                OnnxExporter.write(OnnxExporter.build(List.of(OnnxExporter.Member.of(m)), List.of(),
                        OnnxExporter.Options.of(size).withFoldBatchNorm(fold)), f);
                try (OnnxModel o = OnnxModel.open(f, 2)) {
                    float[][] got = o.logits(in, 2);
                    System.out.printf("SCRATCH fold=%s diff %.3e max %.3e%n", fold, OnnxParityTest.maxAbsDiff(e, got), OnnxParityTest.maxAbs(e));
                }
            }
        }
    }
}
