import WardenCore
import WardenTensor

/// Elementwise arithmetic, activations, matrix products, softmax and reductions.
extension ONNXOperators {
    static let math: [String: Compiler] = [
        "Add": { _, _ in binary({ try $0 + $1 }, { $0.addingReportingOverflow($1) }) },
        "Sub": { _, _ in binary({ try $0 - $1 }, { $0.subtractingReportingOverflow($1) }) },
        "Mul": { _, _ in binary({ try $0 * $1 }, { $0.multipliedReportingOverflow(by: $1) }) },
        "Div": { _, _ in binary({ try $0 / $1 }, { $1 == 0 ? (0, true) : $0.dividedReportingOverflow(by: $1) }) },
        "Relu": { _, _ in .float { $0.relu() } },
        "LeakyRelu": { node, _ in
            let alpha = try node.float("alpha", default: 0.01)
            return .float { $0.leakyRelu(alpha: alpha) }
        },
        "Sigmoid": { _, _ in .float { $0.sigmoid() } },
        "Tanh": { _, _ in .float { $0.tanh() } },
        "Exp": { _, _ in .float { $0.exp() } },
        "Log": { _, _ in .float { $0.log() } },
        "Sqrt": { _, _ in .float { $0.squareRoot() } },
        "Abs": { _, _ in .float { $0.abs() } },
        "Neg": { _, _ in .float { -$0 } },
        "Reciprocal": { _, _ in
            .float { x in try Variable(try Tensor<Float>.ones(x.shape)) / x }
        },
        "Softmax": { node, opset in try softmax(node, opset: opset, log: false) },
        "LogSoftmax": { node, opset in try softmax(node, opset: opset, log: true) },
        "MatMul": { _, _ in .single { .float(try Variable.matmul(try $0.float(0), try $0.float(1))) } },
        "Gemm": { node, _ in try gemm(node) },
        "Clip": { node, opset in
            let lower = opset < 11 ? try node.float("min", default: -.infinity) : -.infinity
            let upper = opset < 11 ? try node.float("max", default: .infinity) : .infinity
            return .single { inputs in
                let x = try inputs.float(0)
                return .float(x.clipped(lower: try inputs.floatScalar(1) ?? lower, upper: try inputs.floatScalar(2) ?? upper))
            }
        },
        "ArgMax": { node, _ in
            let axis = try node.int("axis", default: 0)
            let keep = try node.int("keepdims", default: 1) != 0
            try node.refuse("select_last_index", unless: { if case .int(0) = $0 { true } else { false } }, "select_last_index=1 is not supported")
            return .single { .int64(try $0.float(0).value.argmax(axis: axis, keepingDimensions: keep)) }
        },
        "ReduceMean": { node, opset in try reduce(node, axesAsInput: opset >= 18, mean: true) },
        "ReduceSum": { node, opset in try reduce(node, axesAsInput: opset >= 13, mean: false) },
    ]

    /// A broadcasting binary operator: floats through variables, integers exactly (overflow and
    /// division by zero are errors).
    static func binary(
        _ float: @escaping @Sendable (Variable, Variable) throws -> Variable,
        _ integer: @escaping @Sendable (Int64, Int64) -> (partialValue: Int64, overflow: Bool)
    ) -> ONNXKernel {
        .single { inputs in
            let a = try inputs.value(0), b = try inputs.value(1)
            switch (a, b) {
            case (.float(let x), .float(let y)):
                return .float(try float(x, y))
            case (.int64, .int64), (.int32, .int32):
                let x = a.int64Tensor()!, y = b.int64Tensor()!
                let shape = try Tensor<Int64>.broadcastShape(x.shape, y.shape)
                let left = try x.broadcast(to: shape).scalars, right = try y.broadcast(to: shape).scalars
                var out = [Int64](repeating: 0, count: left.count)
                for i in out.indices {
                    let (value, overflow) = integer(left[i], right[i])
                    if overflow { throw inputs.error("integer overflow or division by zero (\(left[i]), \(right[i]))") }
                    out[i] = value
                }
                let result = try Tensor(shape: shape, scalars: out)
                return a.elementType == .int32 ? .int32(result.converted(to: Int32.self)) : .int64(result)
            default:
                throw inputs.error("operands must have the same element type, got \(a.elementType) and \(b.elementType)")
            }
        }
    }

    static func softmax(_ node: ONNXNode, opset: Int, log: Bool) throws -> ONNXKernel {
        let axis = try node.int("axis", default: opset < 13 ? 1 : -1)
        return .float { x in
            if opset >= 13 { return log ? try x.logSoftmax(axis: axis) : try x.softmax(axis: axis) }
            // Before opset 13 the input is coerced to 2-D at `axis` and normalised over the second dimension.
            let shape = x.shape
            let resolved = axis < 0 ? axis + shape.count : axis
            guard resolved >= 0, resolved <= shape.count else { throw node.error("axis \(axis) is out of range for shape \(shape)") }
            let flat = try x.reshaped(to: [shape[..<resolved].reduce(1, *), shape[resolved...].reduce(1, *)])
            return try (log ? flat.logSoftmax(axis: 1) : flat.softmax(axis: 1)).reshaped(to: shape)
        }
    }

    /// `Gemm`, or `Gemm` followed by `Relu` when `relu` (the session fuses such pairs for inference).
    static func gemm(_ node: ONNXNode, relu: Bool = false) throws -> ONNXKernel {
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        let transA = try node.int("transA", default: 0) != 0, transB = try node.int("transB", default: 0) != 0
        return .single { inputs in
            let a = try inputs.float(0), b = try inputs.float(1), c = try inputs.optionalFloat(2)
            if !a.requiresGradient && !b.requiresGradient && !(c?.requiresGradient ?? false) {
                // Inference: C seeds the output and the product accumulates onto it in one pass.
                return .float(Variable(try Tensor.gemm(
                    a.value, b.value, c?.value, alpha: alpha, beta: beta, transposeA: transA, transposeB: transB, relu: relu)))
            }
            let y = try Variable.gemm(a, b, c, alpha: alpha, beta: beta, transposeA: transA, transposeB: transB)
            return .float(relu ? y.relu() : y)
        }
    }

    /// The weights of a `Gemm` whose `B` is a float matrix initialiser that no graph input can
    /// replace (and whose `A` is not transposed), as ``DenseWeights`` (`B`, transposed when `transB`);
    /// `nil` for any other `Gemm`.
    static func constantGemmWeights(_ node: ONNXNode, model: ONNXModel) throws -> DenseWeights? {
        guard node.opType == "Gemm", node.domain.isEmpty, node.inputs.count >= 2, try node.int("transA", default: 0) == 0,
            let initializer = model.initializers[node.inputs[1]], let b = initializer.floatTensor, b.rank == 2,
            !model.inputs.contains(where: { $0.name == node.inputs[1] })
        else { return nil }
        return try DenseWeights(try node.int("transB", default: 0) != 0 ? b.transposed() : b)
    }

    /// `Gemm` (then `Relu` when `relu`) with constant weights, packed once per kernel set and reused
    /// by every run (inference only: nothing is recorded for gradients).
    static func denseGemm(_ node: ONNXNode, weights: DenseWeights, relu: Bool) throws -> ONNXKernel {
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        return .single { inputs in
            let a = try inputs.float(0), c = try inputs.optionalFloat(2)
            return .float(Variable(try Tensor.dense(a.value, weights, bias: c?.value, alpha: alpha, beta: beta, relu: relu)))
        }
    }

    static func reduce(_ node: ONNXNode, axesAsInput: Bool, mean: Bool) throws -> ONNXKernel {
        let keep = try node.int("keepdims", default: 1) != 0
        let noopWhenEmpty = try node.int("noop_with_empty_axes", default: 0) != 0
        let attributeAxes = axesAsInput ? nil : try node.ints("axes")
        return .single { inputs in
            let x = try inputs.float(0)
            let axes = axesAsInput ? (inputs.has(1) ? try inputs.intList(1) : nil) : attributeAxes
            if (axes?.isEmpty ?? true) && noopWhenEmpty { return .float(x) }
            let resolved = axes?.isEmpty ?? true ? nil : axes
            return .float(mean ? try x.mean(axes: resolved, keepingDimensions: keep) : try x.sum(axes: resolved, keepingDimensions: keep))
        }
    }
}
