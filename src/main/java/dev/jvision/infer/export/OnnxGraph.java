package dev.jvision.infer.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph under construction, over the generated {@code onnx.proto} classes
 * ({@code ai.onnx.proto.OnnxMl}): initializers, nodes with unique value names, and the small set
 * of operators jvision's model families need, each written for the target opset (for example
 * {@code ReduceMean} takes its axes as an attribute before opset 18 and as an input from 18 on;
 * GELU is {@code Gelu} from opset 20 and the erf formula before). Values are named by strings;
 * every helper returns the name of its output. The first dimension of inputs and outputs is the
 * symbolic {@code batch}. Not thread-safe; one exporter builds one graph.
 */
final class OnnxGraph {
    /** ONNX's element type codes used here. */
    static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
    static final int UINT8 = TensorProto.DataType.UINT8.getNumber();
    static final int INT64 = TensorProto.DataType.INT64.getNumber();

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final int opset;
    private final Map<String, Integer> used = new HashMap<>();
    private final Map<String, String> constants = new HashMap<>();

    /** An empty graph for {@code opset} of the default ONNX domain. */
    OnnxGraph(String name, int opset) {
        this.opset = opset;
        graph.setName(name);
    }

    /** The target opset. */
    int opset() {
        return opset;
    }

    /** A value name not used before, derived from {@code hint}. */
    String fresh(String hint) {
        int n = used.merge(hint, 1, Integer::sum);
        return n == 1 ? hint : hint + "_" + (n - 1);
    }

    // ---- inputs, outputs, initializers ----

    /** Declares a graph input of {@code elemType} with a symbolic first (batch) dimension. */
    void input(String name, int elemType, long... dimsAfterBatch) {
        used.merge(name, 1, Integer::sum);
        graph.addInput(valueInfo(name, elemType, dimsAfterBatch));
    }

    /** Declares a graph output of {@code elemType} with a symbolic first (batch) dimension. */
    void output(String name, int elemType, long... dimsAfterBatch) {
        graph.addOutput(valueInfo(name, elemType, dimsAfterBatch));
    }

    private static ValueInfoProto valueInfo(String name, int elemType, long... dimsAfterBatch) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long d : dimsAfterBatch) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType)
                .setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    /** A float32 initializer (row-major {@code data} of shape {@code dims}); returns its unique name. */
    String floats(String hint, float[] data, long... dims) {
        checkSize(hint, data.length, dims);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return initializer(hint, FLOAT, ByteString.copyFrom(b.array()), dims);
    }

    /** An int64 initializer; returns its unique name. */
    String longs(String hint, long[] data, long... dims) {
        checkSize(hint, data.length, dims);
        ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return initializer(hint, INT64, ByteString.copyFrom(b.array()), dims);
    }

    private String initializer(String hint, int type, ByteString raw, long... dims) {
        String name = fresh(hint);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(raw);
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    private static void checkSize(String hint, int n, long... dims) {
        long p = 1;
        for (long d : dims) {
            p *= d;
        }
        if (p != n) {
            throw new IllegalStateException(hint + ": " + n + " values for shape " + java.util.Arrays.toString(dims));
        }
    }

    /** A shared float32 scalar constant. */
    String scalar(float v) {
        return constants.computeIfAbsent("f" + Float.floatToRawIntBits(v), k -> floats("const", new float[] {v}));
    }

    /** A shared int64 vector constant (shapes, axes, pads). */
    String ints(long... v) {
        return constants.computeIfAbsent("i" + java.util.Arrays.toString(v), k -> longs("shape", v, v.length));
    }

    // ---- nodes ----

    /** Adds a node with one output named after {@code op}; attributes are Long, Double, long[] or String. */
    String node(String op, List<String> inputs, Map<String, Object> attrs) {
        String out = fresh(op.toLowerCase(java.util.Locale.ROOT));
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out);
        attrs.forEach((k, v) -> n.addAttribute(attribute(k, v)));
        graph.addNode(n);
        return out;
    }

    String node(String op, String... inputs) {
        return node(op, List.of(inputs), Map.of());
    }

    /** Adds a node writing a chosen output name (graph outputs). */
    void nodeTo(String out, String op, String... inputs) {
        used.merge(out, 1, Integer::sum);
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(List.of(inputs)).addOutput(out));
    }

    private static AttributeProto attribute(String name, Object v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        if (v instanceof Long || v instanceof Integer) {
            a.setType(AttributeProto.AttributeType.INT).setI(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            a.setType(AttributeProto.AttributeType.FLOAT).setF(((Number) v).floatValue());
        } else if (v instanceof long[] ls) {
            a.setType(AttributeProto.AttributeType.INTS);
            for (long l : ls) {
                a.addInts(l);
            }
        } else if (v instanceof String s) {
            a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else {
            throw new IllegalStateException("attribute " + name + ": unsupported type " + v.getClass());
        }
        return a.build();
    }

    static Map<String, Object> attrs(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    String add(String a, String b) {
        return node("Add", a, b);
    }

    String mul(String a, String b) {
        return node("Mul", a, b);
    }

    String matmul(String a, String b) {
        return node("MatMul", a, b);
    }

    String relu(String x) {
        return node("Relu", x);
    }

    String sigmoid(String x) {
        return node("Sigmoid", x);
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    String silu(String x) {
        return mul(x, sigmoid(x));
    }

    /** Exact (erf) GELU: the {@code Gelu} operator from opset 20, else {@code x * 0.5 * (1 + erf(x / sqrt 2))}. */
    String gelu(String x) {
        if (opset >= 20) {
            return node("Gelu", List.of(x), attrs("approximate", "none"));
        }
        String erf = node("Erf", mul(x, scalar((float) (1 / Math.sqrt(2)))));
        return mul(x, mul(scalar(0.5f), add(scalar(1f), erf)));
    }

    String transpose(String x, long... perm) {
        return node("Transpose", List.of(x), attrs("perm", perm));
    }

    /** Reshape to {@code shape} (use -1 for the batch dimension). */
    String reshape(String x, long... shape) {
        return node("Reshape", x, ints(shape));
    }

    String softmax(String x, long axis) {
        return node("Softmax", List.of(x), attrs("axis", axis));
    }

    String reduceMean(String x, boolean keepDims, long... axes) {
        if (opset >= 18) {
            return node("ReduceMean", List.of(x, ints(axes)), attrs("keepdims", keepDims ? 1L : 0L));
        }
        return node("ReduceMean", List.of(x), attrs("axes", axes, "keepdims", keepDims ? 1L : 0L));
    }

    /** Layer normalisation over the last axis (LayerNormalization exists from opset 17). */
    String layerNorm(String x, String scale, String bias, double eps) {
        return node("LayerNormalization", List.of(x, scale, bias), attrs("axis", -1L, "epsilon", eps));
    }

    /** {@code x[..., starts:ends, ...]} along {@code axes}. */
    String slice(String x, long[] starts, long[] ends, long[] axes) {
        return node("Slice", x, ints(starts), ints(ends), ints(axes));
    }

    String concat(long axis, String... xs) {
        return node("Concat", List.of(xs), attrs("axis", axis));
    }

    /** Zero padding; {@code pads} as ONNX orders them: all begins, then all ends. */
    String pad(String x, long... pads) {
        return node("Pad", List.of(x, ints(pads)), attrs("mode", "constant"));
    }

    /** {@code x @ w^T + b} for a 2-d {@code x} (Gemm with transB). */
    String gemm(String x, String w, String b) {
        return node("Gemm", List.of(x, w, b), attrs("transB", 1L));
    }

    /** The model: this graph with its opset, IR version and metadata. */
    ModelProto model(String producerVersion, String doc, Map<String, String> metadata) {
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(irVersion(opset))
                .setProducerName("jvision")
                .setProducerVersion(producerVersion)
                .setDocString(doc)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph);
        metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    /** The IR version released with {@code opset} (opset 17/18: IR 8, 19/20: IR 9, 21: IR 10, 22: IR 10). */
    static long irVersion(int opset) {
        return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
    }
}
