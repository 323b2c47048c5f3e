package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.runtime.NativeRuntime;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OptimizerParamGroupVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OptimizersTest {
    private static ImageModel model;

    @BeforeAll
    static void createModel() {
        NativeRuntime.init();
        model = Models.create("resnet18", ModelOptions.of(3));
    }

    @AfterAll
    static void closeModel() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void adamw_hasTwoParamGroups() {
        try (Optimizer opt = Optimizers.adamw(model, 1e-3, 0.05)) {
            assertEquals(2, opt.param_groups().size());
        }
    }

    @Test
    void adamw_decayedGroupHoldsExactlyMultiDimParams() {
        List<Tensor> multi = new ArrayList<>();
        List<Tensor> single = new ArrayList<>();
        for (Tensor t : model.namedParameters().values()) {
            (t.dim() > 1 ? multi : single).add(t);
        }
        assertTrue(!multi.isEmpty() && !single.isEmpty());
        try (Optimizer opt = Optimizers.adamw(model, 1e-3, 0.05)) {
            OptimizerParamGroupVector groups = opt.param_groups();
            assertSame(multi, groups.get(0).params());
            assertSame(single, groups.get(1).params());
        }
    }

    @Test
    void setLr_changesEveryGroup() {
        try (Optimizer opt = Optimizers.adamw(model, 1e-3, 0.05)) {
            OptimizerParamGroupVector groups = opt.param_groups();
            for (long i = 0; i < groups.size(); i++) {
                assertEquals(1e-3, groups.get(i).options().get_lr(), 1e-15, "group " + i);
            }
            Optimizers.setLr(opt, 2.5e-4);
            groups = opt.param_groups();
            for (long i = 0; i < groups.size(); i++) {
                assertEquals(2.5e-4, groups.get(i).options().get_lr(), 1e-15, "group " + i);
            }
        }
    }

    private static void assertSame(List<Tensor> expected, TensorVector actual) {
        assertEquals(expected.size(), actual.size(), "parameter count");
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(expected.get(i).is_same(actual.get(i)), "parameter " + i + " is not the model's tensor");
        }
    }
}
