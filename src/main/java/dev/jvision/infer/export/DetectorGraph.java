package dev.jvision.infer.export;

import static dev.jvision.infer.export.Layers.child;
import static dev.jvision.infer.export.Layers.sequence;

import dev.jvision.infer.export.Layers.Map2d;
import dev.jvision.models.EfficientNetV2;
import dev.jvision.models.ImageModel;
import dev.jvision.models.detect.CspBackbone;
import dev.jvision.models.detect.Detector;
import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Layer;
import java.util.ArrayList;
import java.util.List;

/**
 * The graph of a {@link Detector} ({@code dev.jvision.models.detect}), written from its layer
 * tree in the order of {@code Detector.forwardDetect}: input normalisation (zoo backbones), the
 * backbone's maps at strides 8/16/32 ({@link CspBackbone}, or ResNet / ConvNeXt / EfficientNetV2
 * through {@link CnnGraphs}' pyramids), the {@code PanNeck} (2x nearest upsampling as
 * {@code Resize}), the {@code DecoupledHead}, and the decoding {@code DetectorOutput} does before
 * NMS: the distribution-focal side distances (softmax over {@code reg_max} bins, expectation)
 * times the level stride around the anchor points give corner boxes in input pixels, and the
 * class logits' sigmoid the scores. NMS is not in the graph (see docs/onnx.md).
 *
 * <p>Graph outputs: {@code boxes} [batch, A, 4] (x1, y1, x2, y2 in input pixels),
 * {@code scores} [batch, A, classes] (sigmoid) and {@code predictions} [batch, A, 4 * reg_max +
 * classes] (the raw packed logits of {@code Detector.forward}), with A the anchor points of the
 * fixed input size, level after level and row-major within a level.
 *
 * <p>The CSP blocks of the backbone have residual bottlenecks and those of the neck do not, as
 * {@code CspBackbone} and {@code PanNeck} build them (the flag is not visible in the layer
 * tree). Stateless.
 */
final class DetectorGraph {
    private DetectorGraph() {}

    /** The outputs' names, in the graph's order. */
    static final List<String> OUTPUTS = List.of("boxes", "scores", "predictions");

    /**
     * Writes {@code d} on {@code x} (float NCHW in [0, 1] of {@code x}'s size) and declares the
     * three graph outputs.
     *
     * @return the number of anchor points
     */
    static long write(Layers l, Detector d, Map2d x) {
        OnnxGraph g = l.g;
        Map2d in = x;
        if (d.namedBuffers().containsKey("input_mean")) {
            String mean = l.param(d, "input_mean", "input_mean");
            String std = l.param(d, "input_std", "input_std");
            in = x.with(g.node("Div", g.node("Sub", x.name(), mean), std));
        }
        Map2d[] c = backbone(l, d.backbone(), in);
        Map2d[] maps = neck(l, child(d, "neck"), c);
        Layer head = child(d, "head");
        List<Layer> cls = sequence(child(head, "cls"));
        List<Layer> box = sequence(child(head, "box"));
        int levels = maps.length;
        String[] boxParts = new String[levels];
        String[] clsParts = new String[levels];
        long anchors = 0;
        for (int i = 0; i < levels; i++) {
            boxParts[i] = branch(l, box.get(i), maps[i], "head.box." + i);
            clsParts[i] = branch(l, cls.get(i), maps[i], "head.cls." + i);
            anchors += maps[i].height() * maps[i].width();
        }
        String boxLogits = g.transpose(g.concat(2, boxParts), 0, 2, 1); // [B, A, 4R]
        String clsLogits = g.transpose(g.concat(2, clsParts), 0, 2, 1); // [B, A, C]
        int r = d.regMax();
        int classes = d.numClasses();

        g.nodeTo("predictions", "Identity", g.concat(2, boxLogits, clsLogits));

        float[] bins = new float[r];
        for (int k = 0; k < r; k++) {
            bins[k] = k;
        }
        String prob = g.softmax(g.reshape(boxLogits, -1, anchors, 4, r), -1);
        String dist = g.reshape(g.matmul(prob, g.floats("dfl.bins", bins, r, 1)), -1, anchors, 4);
        float[][] ps = anchorPoints(maps, Detector.STRIDES);
        String ltrb = g.mul(dist, g.floats("anchors.strides", ps[1], anchors, 1));
        String points = g.floats("anchors.points", ps[0], anchors, 2);
        String lt = g.slice(ltrb, new long[] {0}, new long[] {2}, new long[] {2});
        String rb = g.slice(ltrb, new long[] {2}, new long[] {4}, new long[] {2});
        String corners = g.concat(2, g.node("Sub", points, lt), g.add(points, rb));
        g.nodeTo("boxes", "Identity", corners);
        g.nodeTo("scores", "Sigmoid", clsLogits);
        g.output("boxes", OnnxGraph.FLOAT, anchors, 4);
        g.output("scores", OnnxGraph.FLOAT, anchors, classes);
        g.output("predictions", OnnxGraph.FLOAT, anchors, 4L * r + classes);
        return anchors;
    }

    /**
     * Anchor points {@code ((col + 0.5) * stride, (row + 0.5) * stride)} of the maps, level after
     * level and row-major, and the stride of each: {@code {points [A * 2], strides [A]}}.
     */
    static float[][] anchorPoints(Map2d[] maps, int[] strides) {
        int a = 0;
        for (Map2d m : maps) {
            a += (int) (m.height() * m.width());
        }
        float[] pts = new float[2 * a];
        float[] st = new float[a];
        int k = 0;
        for (int i = 0; i < maps.length; i++) {
            for (long y = 0; y < maps[i].height(); y++) {
                for (long x = 0; x < maps[i].width(); x++) {
                    pts[2 * k] = (float) ((x + 0.5) * strides[i]);
                    pts[2 * k + 1] = (float) ((y + 0.5) * strides[i]);
                    st[k] = strides[i];
                    k++;
                }
            }
        }
        return new float[][] {pts, st};
    }

    /** The backbone's maps at strides 8, 16, 32. */
    private static Map2d[] backbone(Layers l, Layer backbone, Map2d x) {
        if (backbone instanceof CspBackbone) {
            return csp(l, backbone, x);
        }
        if (backbone instanceof ImageModel m) {
            return switch (m.spec().family()) {
                case "resnet" -> CnnGraphs.resnetPyramid(l, m, x);
                case "convnext" -> CnnGraphs.convnextPyramid(l, m, x);
                case "efficientnetv2" -> CnnGraphs.efficientnetv2Pyramid(l, (EfficientNetV2) m, x);
                default -> throw new IllegalArgumentException("detector backbone " + m.spec().name() + ": family '"
                        + m.spec().family() + "' cannot be exported to ONNX (expected: csp, resnet, convnext or efficientnetv2)");
            };
        }
        throw new IllegalArgumentException("detector backbone " + backbone.getClass().getName()
                + " cannot be exported to ONNX (expected: CspBackbone or a zoo model)");
    }

    /** CspBackbone: stem, four stages (stride-2 ConvBnAct + CSP block), SPPF after the last. */
    private static Map2d[] csp(Layers l, Layer b, Map2d x) {
        Map2d y = convBnAct(l, child(b, "stem"), x, "backbone.stem");
        List<Layer> stages = sequence(child(b, "stages"));
        Map2d[] out = new Map2d[3];
        for (int s = 0; s < stages.size(); s++) {
            List<Layer> parts = sequence(stages.get(s));
            String n = "backbone.stages." + s;
            y = convBnAct(l, parts.get(0), y, n + ".0");
            y = cspBlock(l, parts.get(1), y, true, n + ".1");
            if (s >= 1) {
                out[s - 1] = s == 3 ? sppf(l, child(b, "sppf"), y, "backbone.sppf") : y;
            }
        }
        return out;
    }

    /** PanNeck: top-down (lateral, upsample, concat, CSP) then bottom-up (stride-2 conv, concat, CSP). */
    private static Map2d[] neck(Layers l, Layer n, Map2d[] c) {
        OnnxGraph g = l.g;
        Map2d p5 = convBnAct(l, child(n, "lat5"), c[2], "neck.lat5");
        Map2d p4 = cspBlock(l, child(n, "td4"), c[1].with(g.concat(1, upsample2x(g, p5.name()), c[1].name())), false,
                "neck.td4");
        Map2d l4 = convBnAct(l, child(n, "lat4"), p4, "neck.lat4");
        Map2d n3 = cspBlock(l, child(n, "out3"), c[0].with(g.concat(1, upsample2x(g, l4.name()), c[0].name())), false,
                "neck.out3");
        Map2d d3 = convBnAct(l, child(n, "down3"), n3, "neck.down3");
        Map2d n4 = cspBlock(l, child(n, "out4"), d3.with(g.concat(1, d3.name(), l4.name())), false, "neck.out4");
        Map2d d4 = convBnAct(l, child(n, "down4"), n4, "neck.down4");
        Map2d n5 = cspBlock(l, child(n, "out5"), d4.with(g.concat(1, d4.name(), p5.name())), false, "neck.out5");
        return new Map2d[] {n3, n4, n5};
    }

    /** 2x nearest-neighbour upsampling: each pixel repeated 2x2 (Resize, asymmetric coordinates, floor). */
    private static String upsample2x(OnnxGraph g, String x) {
        return g.node("Resize", List.of(x, "", g.floats("resize.scales", new float[] {1, 1, 2, 2}, 4)),
                OnnxGraph.attrs("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"));
    }

    /** A head branch (two ConvBnAct, a 1x1 conv with bias) flattened to [B, K, h * w]. */
    private static String branch(Layers l, Layer seq, Map2d x, String name) {
        List<Layer> parts = sequence(seq);
        Map2d y = convBnAct(l, parts.get(0), x, name + ".0");
        y = convBnAct(l, parts.get(1), y, name + ".1");
        Layer out = parts.get(2);
        y = l.conv(y, out, null, name + ".2");
        long k = Layers.shape(out, "weight")[0];
        return l.g.reshape(y.name(), -1, k, y.height() * y.width());
    }

    /** ConvBnAct: convolution, BatchNorm (folded or emitted), SiLU. */
    private static Map2d convBnAct(Layers l, Layer cba, Map2d x, String name) {
        Map2d y = l.conv(x, child(cba, "conv"), (BatchNorm2d) child(cba, "bn"), name + ".conv");
        return y.with(l.g.silu(y.name()));
    }

    /** CSP block: cv1 to two halves, bottlenecks on the second, every part concatenated, cv2. */
    private static Map2d cspBlock(Layers l, Layer b, Map2d x, boolean shortcut, String name) {
        OnnxGraph g = l.g;
        Map2d y = convBnAct(l, child(b, "cv1"), x, name + ".cv1");
        long hidden = Layers.shape(child(child(b, "cv1"), "conv"), "weight")[0] / 2;
        List<String> parts = new ArrayList<>();
        parts.add(g.slice(y.name(), new long[] {0}, new long[] {hidden}, new long[] {1}));
        Map2d h = y.with(g.slice(y.name(), new long[] {hidden}, new long[] {2 * hidden}, new long[] {1}));
        parts.add(h.name());
        List<Layer> blocks = sequence(child(b, "blocks"));
        for (int i = 0; i < blocks.size(); i++) {
            String bn = name + ".blocks." + i;
            Map2d z = convBnAct(l, child(blocks.get(i), "cv1"), h, bn + ".cv1");
            z = convBnAct(l, child(blocks.get(i), "cv2"), z, bn + ".cv2");
            h = shortcut ? z.with(g.add(z.name(), h.name())) : z;
            parts.add(h.name());
        }
        return convBnAct(l, child(b, "cv2"), y.with(g.concat(1, parts.toArray(String[]::new))), name + ".cv2");
    }

    /** SPPF: cv1, three chained 5x5 stride-1 max pools, concat of all four, cv2. */
    private static Map2d sppf(Layers l, Layer s, Map2d x, String name) {
        OnnxGraph g = l.g;
        Map2d a = convBnAct(l, child(s, "cv1"), x, name + ".cv1");
        String[] p = new String[4];
        p[0] = a.name();
        for (int i = 1; i < 4; i++) {
            p[i] = g.node("MaxPool", List.of(p[i - 1]), OnnxGraph.attrs("kernel_shape", new long[] {5, 5},
                    "strides", new long[] {1, 1}, "pads", new long[] {2, 2, 2, 2}));
        }
        return convBnAct(l, child(s, "cv2"), a.with(g.concat(1, p)), name + ".cv2");
    }
}
