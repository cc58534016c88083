import WardenTensor
import WardenTesting

@testable import WardenModels

/// Small ONNX graphs built in code, as PyTorch's and scikit-learn's exporters lay them out.
enum ONNXTestGraphs {
    static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: low..<high, using: &generator) })
    }

    /// `Gemm → Relu → Gemm → Softmax`, 4 → 5 → 3, batch dimension `N`.
    static func mlp(seed: UInt64 = 1) -> ONNXGraphBuilder {
        var b = ONNXGraphBuilder(opset: 13)
        b.input("x", shape: [.symbolic("N"), .fixed(4)])
        b.initializer("w1", ONNXValue(random([5, 4], seed: seed)))
        b.initializer("b1", ONNXValue(random([5], seed: seed + 1)))
        b.initializer("w2", ONNXValue(random([3, 5], seed: seed + 2)))
        b.initializer("b2", ONNXValue(random([3], seed: seed + 3)))
        b.node("Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], name: "fc1", attributes: [("transB", .int(1))])
        b.node("Relu", inputs: ["h"], outputs: ["r"], name: "relu")
        b.node("Gemm", inputs: ["r", "w2", "b2"], outputs: ["logits"], name: "fc2", attributes: [("transB", .int(1))])
        b.node("Softmax", inputs: ["logits"], outputs: ["probabilities"], name: "softmax", attributes: [("axis", .int(1))])
        b.output("logits", shape: [.symbolic("N"), .fixed(3)])
        b.output("probabilities", shape: [.symbolic("N"), .fixed(3)])
        return b
    }

    /// A small CNN with torch's `x.view(x.size(0), -1)` shape chain:
    /// Conv → BatchNormalization → Relu → MaxPool → Shape/Gather/Unsqueeze/Concat/Reshape → Gemm.
    static func cnn(seed: UInt64 = 5) -> ONNXGraphBuilder {
        var b = ONNXGraphBuilder(opset: 13)
        b.input("image", shape: [.symbolic("N"), .fixed(1), .fixed(6), .fixed(6)])
        b.initializer("conv.w", ONNXValue(random([2, 1, 3, 3], seed: seed)))
        b.initializer("conv.b", ONNXValue(random([2], seed: seed + 1)))
        b.initializer("bn.scale", ONNXValue(random([2], seed: seed + 2, low: 0.5, high: 1.5)))
        b.initializer("bn.bias", ONNXValue(random([2], seed: seed + 3)))
        b.initializer("bn.mean", ONNXValue(random([2], seed: seed + 4)))
        b.initializer("bn.var", ONNXValue(random([2], seed: seed + 5, low: 0.5, high: 2)))
        b.initializer("fc.w", ONNXValue(random([3, 18], seed: seed + 6)))
        b.initializer("fc.b", ONNXValue(random([3], seed: seed + 7)))
        b.initializer("zero", ONNXValue(Tensor<Int64>(0)))
        b.initializer("axes0", ONNXValue(Tensor<Int64>([0])))
        b.initializer("minus1", ONNXValue(Tensor<Int64>([-1])))
        b.node("Conv", inputs: ["image", "conv.w", "conv.b"], outputs: ["c"], name: "conv",
               attributes: [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))])
        b.node("BatchNormalization", inputs: ["c", "bn.scale", "bn.bias", "bn.mean", "bn.var"], outputs: ["n"], name: "bn")
        b.node("Relu", inputs: ["n"], outputs: ["r"], name: "relu")
        b.node("MaxPool", inputs: ["r"], outputs: ["p"], name: "pool", attributes: [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2]))])
        b.node("Shape", inputs: ["p"], outputs: ["shape"], name: "shape")
        b.node("Gather", inputs: ["shape", "zero"], outputs: ["batch"], name: "gather", attributes: [("axis", .int(0))])
        b.node("Unsqueeze", inputs: ["batch", "axes0"], outputs: ["batch1"], name: "unsqueeze")
        b.node("Concat", inputs: ["batch1", "minus1"], outputs: ["target"], name: "concat", attributes: [("axis", .int(0))])
        b.node("Reshape", inputs: ["p", "target"], outputs: ["flat"], name: "reshape")
        b.node("Gemm", inputs: ["flat", "fc.w", "fc.b"], outputs: ["logits"], name: "fc", attributes: [("transB", .int(1))])
        b.output("logits", shape: [.symbolic("N"), .fixed(3)])
        return b
    }
}
