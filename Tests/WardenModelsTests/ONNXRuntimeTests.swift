import Foundation
import Testing
import WardenCore
import WardenTensor
import WardenTesting

@testable import WardenModels

struct ONNXRuntimeTests {
    func maxDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func mlpMatchesTheSameComputationOnTensors() throws {
        let model = try ONNXTestGraphs.mlp().model()
        let session = try ONNXSession(model: model)
        let x = ONNXTestGraphs.random([7, 4], seed: 9)
        let outputs = try session.run(["x": ONNXValue(x)])
        let w1 = model.initializers["w1"]!.floatTensor!, b1 = model.initializers["b1"]!.floatTensor!
        let w2 = model.initializers["w2"]!.floatTensor!, b2 = model.initializers["b2"]!.floatTensor!
        let hidden = try (Tensor.matmul(x, w1, transposeB: true) + b1).relu()
        let logits = try Tensor.matmul(hidden, w2, transposeB: true) + b2
        #expect(maxDifference(outputs["logits"]!.floatTensor!, logits) < 1e-5)
        #expect(maxDifference(outputs["probabilities"]!.floatTensor!, try logits.softmax(axis: 1)) < 1e-6)
        #expect(model.parameterCount == 5 * 4 + 5 + 3 * 5 + 3)
        #expect(model.operatorCounts.map(\.op) == ["Gemm", "Relu", "Softmax"])
    }

    @Test func cnnWithTorchShapeChainRuns() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.cnn().model())
        let x = ONNXTestGraphs.random([2, 1, 6, 6], seed: 3)
        let logits = try session.run(x)["logits"]!.floatTensor!
        #expect(logits.shape == [2, 3])
        // The same network by hand.
        let m = session.model.initializers.mapValues { $0.floatTensor }
        var y = try x.conv2d(weight: m["conv.w"]!!, bias: m["conv.b"]!!, options: Conv2DOptions(pads: [1, 1, 1, 1]))
        y = try y.batchNormalized(scale: m["bn.scale"]!!, bias: m["bn.bias"]!!, mean: m["bn.mean"]!!, variance: m["bn.var"]!!).relu()
        y = try y.maxPool2d(Pool2DOptions(kernel: [2, 2], strides: [2, 2])).reshaped(to: [2, 18])
        let expected = try Tensor.matmul(y, m["fc.w"]!!, transposeB: true) + m["fc.b"]!!
        #expect(maxDifference(logits, expected) < 1e-5)
    }

    @Test func runningIsRepeatableAndThreadCountIndependent() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.cnn().model())
        let x = ONNXTestGraphs.random([64, 1, 6, 6], seed: 4)
        let one = try TensorRuntime.withThreads(1) { try session.run(x)["logits"]!.floatTensor! }
        let two = try TensorRuntime.withThreads(2) { try session.run(x)["logits"]!.floatTensor! }
        #expect(one == two)
    }

    struct OpCase: Sendable, CustomTestStringConvertible {
        var name: String
        var opset: Int = 13
        var build: @Sendable (inout ONNXGraphBuilder) -> Void
        var feeds: [String: ONNXValue]
        var expected: [Double]
        var expectedShape: [Int]
        var testDescription: String { name }
    }

    static let opCases: [OpCase] = [
        OpCase(name: "reshape copies 0 and infers -1", build: { b in
            b.initializer("s", ONNXValue(Tensor<Int64>([0, -1])))
            b.node("Reshape", inputs: ["x", "s"], outputs: ["y"])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8]))],
           expected: [1, 2, 3, 4, 5, 6, 7, 8], expectedShape: [2, 4]),
        OpCase(name: "softmax before opset 13 coerces to 2-D", opset: 11, build: { b in
            b.node("Softmax", inputs: ["x"], outputs: ["y"], attributes: [("axis", .int(1))])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(shape: [1, 2, 1], scalars: [0, 0]))], expected: [0.5, 0.5], expectedShape: [1, 2, 1]),
        OpCase(name: "clip bounds as attributes (opset 6)", opset: 6, build: { b in
            b.node("Clip", inputs: ["x"], outputs: ["y"], attributes: [("min", .float(-1)), ("max", .float(1))])
        }, feeds: ["x": ONNXValue(Tensor<Float>([-3, 0.5, 2]))], expected: [-1, 0.5, 1], expectedShape: [3]),
        OpCase(name: "clip bounds as inputs (opset 13)", build: { b in
            b.initializer("lo", ONNXValue(Tensor<Float>(0)))
            b.node("Clip", inputs: ["x", "lo", ""], outputs: ["y"])
        }, feeds: ["x": ONNXValue(Tensor<Float>([-3, 0.5, 2]))], expected: [0, 0.5, 2], expectedShape: [3]),
        OpCase(name: "conv SAME_UPPER pads the end", build: { b in
            b.initializer("w", ONNXValue(try! Tensor<Float>(shape: [1, 1, 2, 2], repeating: 1)))
            b.node("Conv", inputs: ["x", "w"], outputs: ["y"], attributes: [("auto_pad", .string("SAME_UPPER"))])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))],
           expected: [10, 6, 7, 4], expectedShape: [1, 1, 2, 2]),
        OpCase(name: "unsqueeze axes as attribute (opset 11)", opset: 11, build: { b in
            b.node("Unsqueeze", inputs: ["x"], outputs: ["y"], attributes: [("axes", .ints([0, 2]))])
        }, feeds: ["x": ONNXValue(Tensor<Float>([1, 2]))], expected: [1, 2], expectedShape: [1, 2, 1]),
        OpCase(name: "integer arithmetic on shapes", build: { b in
            b.initializer("two", ONNXValue(Tensor<Int64>(2)))
            b.node("Shape", inputs: ["x"], outputs: ["s"])
            b.node("Div", inputs: ["s", "two"], outputs: ["y"])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(zeros: [4, 6]))], expected: [2, 3], expectedShape: [2]),
        OpCase(name: "constant of shape and cast", build: { b in
            b.initializer("shape", ONNXValue(Tensor<Int64>([2])))
            b.node("ConstantOfShape", inputs: ["shape"], outputs: ["c"], attributes: [("value", .tensor(ONNXValue(Tensor<Int64>([3]))))])
            b.node("Cast", inputs: ["c"], outputs: ["cf"], attributes: [("to", .int(1))])
            b.node("Add", inputs: ["x", "cf"], outputs: ["y"])
        }, feeds: ["x": ONNXValue(Tensor<Float>([1, 2]))], expected: [4, 5], expectedShape: [2]),
        OpCase(name: "slice with torch's INT64_MAX end", build: { b in
            b.initializer("starts", ONNXValue(Tensor<Int64>([1])))
            b.initializer("ends", ONNXValue(Tensor<Int64>([Int64.max])))
            b.initializer("axes", ONNXValue(Tensor<Int64>([1])))
            b.node("Slice", inputs: ["x", "starts", "ends", "axes"], outputs: ["y"])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))], expected: [2, 3, 5, 6], expectedShape: [2, 2]),
        OpCase(name: "dropout is the identity in inference", build: { b in
            b.node("Dropout", inputs: ["x"], outputs: ["y", "mask"])
        }, feeds: ["x": ONNXValue(Tensor<Float>([1, -2]))], expected: [1, -2], expectedShape: [2]),
        OpCase(name: "linear classifier labels and softmax scores", build: { b in
            b.node("LinearClassifier", inputs: ["x"], outputs: ["label", "y"], domain: "ai.onnx.ml", attributes: [
                ("coefficients", .floats([1, 0, 0, 1])), ("intercepts", .floats([0, 0])), ("classlabels_ints", .ints([7, 9])),
                ("post_transform", .string("SOFTMAX")),
            ])
        }, feeds: ["x": ONNXValue(try! Tensor<Float>(shape: [1, 2], scalars: [0, 0]))], expected: [0.5, 0.5], expectedShape: [1, 2]),
    ]

    @Test(arguments: opCases) func operatorSemantics(_ testCase: OpCase) throws {
        var builder = ONNXGraphBuilder(opset: testCase.opset)
        for (name, value) in testCase.feeds.sorted(by: { $0.key < $1.key }) {
            builder.input(name, type: value.elementType, shape: value.shape.map { .fixed($0) })
        }
        testCase.build(&builder)
        builder.output("y", shape: nil)
        let session = try ONNXSession(model: try builder.model())
        let y = try #require(try session.run(testCase.feeds)["y"])
        #expect(y.shape == testCase.expectedShape)
        #expect(zip(y.doubles, testCase.expected).allSatisfy { abs($0 - $1) < 1e-6 }, "got \(y.doubles)")
    }
}
