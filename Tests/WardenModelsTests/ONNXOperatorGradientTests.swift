import Testing
import WardenCore
import WardenTensor

@testable import WardenModels

/// One single-node graph per differentiable operator (and attribute variant): its gradients with
/// respect to every float operand against central finite differences.
struct GradientCase: CustomTestStringConvertible, Sendable {
    /// A node input: fed (a graph input), a float initialiser, an integer initialiser, or absent.
    enum Operand: Sendable {
        case fed(String, [Int], low: Float = -2, high: Float = 2)
        case weight(String, [Int], low: Float = -2, high: Float = 2)
        case ints(String, [Int64])
        case scalar(String, Float)
        case none
    }

    var op: String
    var variant = ""
    var opset = 17
    var domain = ""
    var operands: [Operand]
    var attributes: [(String, ONNXAttribute)] = []
    /// The node's outputs; the last one is differentiated.
    var outputs = ["y"]
    var testDescription: String { variant.isEmpty ? op : "\(op) (\(variant))" }
}

extension ONNXGradientTests {
    static let gradientCases: [GradientCase] = {
        typealias C = GradientCase
        var cases: [GradientCase] = []
        for op in ["Add", "Sub", "Mul", "Div"] {
            cases.append(C(op: op, variant: "broadcast", operands: [.fed("a", [3, 4]), .weight("b", [4], low: 0.5, high: 2)]))
        }
        for op in ["Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Identity", "Dropout"] {
            cases.append(C(op: op, operands: [.fed("x", [3, 4])]))
        }
        for op in ["Log", "Sqrt", "Reciprocal"] {
            cases.append(C(op: op, operands: [.fed("x", [3, 4], low: 0.5, high: 2)]))
        }
        cases += [
            C(op: "LeakyRelu", operands: [.fed("x", [3, 4])], attributes: [("alpha", .float(0.2))]),
            C(op: "Cast", variant: "to float", operands: [.fed("x", [3, 4])], attributes: [("to", .int(1))]),
            C(op: "Softmax", variant: "axis 1", operands: [.fed("x", [2, 3, 4])], attributes: [("axis", .int(1))]),
            C(op: "Softmax", variant: "opset 11, 2-D coercion", opset: 11, operands: [.fed("x", [2, 3, 4])], attributes: [("axis", .int(1))]),
            C(op: "LogSoftmax", operands: [.fed("x", [2, 5])], attributes: [("axis", .int(-1))]),
            C(op: "MatMul", variant: "batched", operands: [.fed("a", [2, 3, 4]), .weight("b", [4, 5])]),
            C(op: "Gemm", variant: "transB, alpha, beta", operands: [.fed("a", [3, 4]), .weight("b", [5, 4]), .weight("c", [5])],
              attributes: [("transB", .int(1)), ("alpha", .float(0.5)), ("beta", .float(2))]),
            C(op: "Gemm", variant: "transA, no C", operands: [.fed("a", [4, 3]), .weight("b", [4, 5])], attributes: [("transA", .int(1))]),
            C(op: "Clip", variant: "bounds as inputs", operands: [.fed("x", [3, 4]), .scalar("lo", -0.5), .scalar("hi", 0.7)]),
            C(op: "Clip", variant: "opset 6", opset: 6, operands: [.fed("x", [3, 4])], attributes: [("min", .float(-0.5)), ("max", .float(0.7))]),
            C(op: "Conv", variant: "padded, bias", operands: [.fed("x", [1, 3, 6, 6]), .weight("w", [4, 3, 3, 3]), .weight("b", [4])],
              attributes: [("pads", .ints([1, 1, 1, 1]))]),
            C(op: "Conv", variant: "strided, dilated, grouped", operands: [.fed("x", [1, 4, 7, 7]), .weight("w", [6, 2, 3, 3])],
              attributes: [("strides", .ints([2, 1])), ("dilations", .ints([1, 2])), ("group", .int(2)), ("pads", .ints([1, 0, 0, 2]))]),
            C(op: "Conv", variant: "1-D", operands: [.fed("x", [2, 3, 8]), .weight("w", [2, 3, 3])], attributes: [("pads", .ints([1, 1]))]),
            C(op: "MaxPool", operands: [.fed("x", [2, 2, 6, 6])], attributes: [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2]))]),
            C(op: "MaxPool", variant: "padded, ceil", operands: [.fed("x", [1, 2, 7, 7])],
              attributes: [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("pads", .ints([1, 1, 1, 1])), ("ceil_mode", .int(1))]),
            C(op: "AveragePool", operands: [.fed("x", [1, 2, 7, 7])],
              attributes: [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("pads", .ints([1, 1, 1, 1]))]),
            C(op: "AveragePool", variant: "count_include_pad", operands: [.fed("x", [1, 2, 5, 5])],
              attributes: [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1])), ("count_include_pad", .int(1))]),
            C(op: "GlobalAveragePool", operands: [.fed("x", [2, 3, 4, 4])]),
            C(op: "BatchNormalization", operands: [
                .fed("x", [2, 3, 4, 4]), .weight("scale", [3]), .weight("bias", [3]), .weight("mean", [3]), .weight("var", [3], low: 0.5, high: 2),
            ], attributes: [("epsilon", .float(1e-3))]),
            C(op: "Flatten", operands: [.fed("x", [2, 3, 2, 2])], attributes: [("axis", .int(2))]),
            C(op: "Reshape", operands: [.fed("x", [2, 3, 4]), .ints("shape", [0, -1, 2])]),
            C(op: "Transpose", operands: [.fed("x", [2, 3, 4])], attributes: [("perm", .ints([2, 0, 1]))]),
            C(op: "Concat", operands: [.fed("a", [3, 4]), .weight("b", [2, 4])], attributes: [("axis", .int(0))]),
            C(op: "Gather", variant: "rows, repeated and negative indices", operands: [.weight("x", [5, 3]), .ints("i", [0, 4, -1, 0])],
              attributes: [("axis", .int(0))]),
            C(op: "Gather", variant: "axis 1", operands: [.fed("x", [2, 4]), .ints("i", [3, 1])], attributes: [("axis", .int(1))]),
            C(op: "Unsqueeze", operands: [.fed("x", [3, 4]), .ints("axes", [0, 3])]),
            C(op: "Squeeze", operands: [.fed("x", [1, 3, 1, 2]), .ints("axes", [0])]),
            C(op: "Slice", variant: "steps, negative bounds", operands: [
                .fed("x", [2, 3, 7, 7]), .ints("starts", [1, -1]), .ints("ends", [Int64.max, 0]), .ints("axes", [2, 3]), .ints("steps", [2, -2]),
            ]),
            C(op: "Pad", variant: "constant, negative pads", operands: [.fed("x", [1, 2, 4, 4]), .ints("pads", [0, 0, 1, -1, 0, 1, 2, 0]), .scalar("v", 0.5)]),
            C(op: "Expand", operands: [.fed("x", [3, 1]), .ints("shape", [2, 3, 4])]),
            C(op: "ReduceMean", variant: "axes attribute", opset: 13, operands: [.fed("x", [2, 3, 4])],
              attributes: [("axes", .ints([1, 2])), ("keepdims", .int(1))]),
            C(op: "ReduceSum", variant: "axes input", operands: [.fed("x", [2, 3, 4]), .ints("axes", [1])], attributes: [("keepdims", .int(0))]),
            C(op: "LinearClassifier", variant: "logistic scores", domain: "ai.onnx.ml", operands: [.fed("x", [3, 4])], attributes: [
                ("coefficients", .floats((0..<12).map { Float($0 % 5) * 0.3 - 0.6 })), ("intercepts", .floats([0.1, -0.2, 0.3])),
                ("classlabels_ints", .ints([3, 5, 7])), ("post_transform", .string("LOGISTIC")),
            ], outputs: ["label", "y"]),
            C(op: "LinearClassifier", variant: "softmax scores", domain: "ai.onnx.ml", operands: [.fed("x", [3, 4])], attributes: [
                ("coefficients", .floats((0..<8).map { Float($0 % 3) * 0.4 - 0.4 })), ("intercepts", .floats([0.1, -0.2])),
                ("classlabels_ints", .ints([0, 1])), ("post_transform", .string("SOFTMAX")),
            ], outputs: ["label", "y"]),
            C(op: "LinearRegressor", domain: "ai.onnx.ml", operands: [.fed("x", [3, 4])], attributes: [
                ("coefficients", .floats((0..<8).map { Float($0) * 0.1 - 0.3 })), ("intercepts", .floats([0.1, -0.2])), ("targets", .int(2)),
            ]),
            C(op: "Scaler", domain: "ai.onnx.ml", operands: [.fed("x", [3, 4])],
              attributes: [("offset", .floats([0.1, 0.2, 0.3, 0.4])), ("scale", .floats([2, 1, 0.5, 3]))]),
            C(op: "ArrayFeatureExtractor", domain: "ai.onnx.ml", operands: [.fed("x", [3, 4]), .ints("i", [3, 0])]),
        ]
        for norm in ["L1", "L2", "MAX"] {
            cases.append(C(op: "Normalizer", variant: norm, domain: "ai.onnx.ml", operands: [.fed("x", [3, 4], low: 0.1, high: 2)],
                           attributes: [("norm", .string(norm))]))
        }
        return cases
    }()

    @Test(arguments: gradientCases) func everyDifferentiableOperatorMatchesFiniteDifferences(_ testCase: GradientCase) throws {
        var builder = ONNXGraphBuilder(opset: testCase.opset)
        var feeds: [String: ONNXValue] = [:]
        var names: [String] = []
        for (index, operand) in testCase.operands.enumerated() {
            let seed = UInt64(31 + index)
            switch operand {
            case .fed(let name, let shape, let low, let high):
                builder.input(name, shape: shape.map { .fixed($0) })
                feeds[name] = ONNXValue(ONNXTestGraphs.random(shape, seed: seed, low: low, high: high))
                names.append(name)
            case .weight(let name, let shape, let low, let high):
                builder.initializer(name, ONNXValue(ONNXTestGraphs.random(shape, seed: seed, low: low, high: high)))
                names.append(name)
            case .ints(let name, let values):
                builder.initializer(name, ONNXValue(Tensor<Int64>(values)))
            case .scalar(let name, let value):
                builder.initializer(name, ONNXValue(Tensor<Float>(value)))
            case .none:
                break
            }
        }
        let inputs = testCase.operands.map { operand -> String in
            switch operand {
            case .fed(let name, _, _, _), .weight(let name, _, _, _), .ints(let name, _), .scalar(let name, _): name
            case .none: ""
            }
        }
        builder.node(testCase.op, inputs: inputs, outputs: testCase.outputs, name: "node", domain: testCase.domain, attributes: testCase.attributes)
        let target = testCase.outputs.last!
        builder.output(target, shape: nil)
        let session = try ONNXSession(model: try builder.model())
        let y = try #require(try session.run(feeds)[target]?.floatTensor)
        try check(session, feeds: feeds, output: target, names: names, seed: ONNXTestGraphs.random(y.shape, seed: 99))
    }

    /// Operators whose outputs are integers or constants have no gradient, and saying so is an error, not a zero.
    @Test func integerOutputsHaveNoGradient() throws {
        var builder = ONNXGraphBuilder()
        builder.input("x", shape: [.fixed(2), .fixed(3)])
        builder.node("ArgMax", inputs: ["x"], outputs: ["y"], name: "argmax", attributes: [("axis", .int(1))])
        builder.output("y", type: .int64, shape: nil)
        let session = try ONNXSession(model: try builder.model())
        let x = ONNXValue(ONNXTestGraphs.random([2, 3], seed: 5))
        #expect(throws: WardenError.self) { _ = try session.gradients(of: "y", feeds: ["x": x], withRespectTo: ["x"]) }
    }
}
