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

    static func gemm(_ node: ONNXNode) throws -> ONNXKernel {
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        let transA = try node.int("transA", default: 0) != 0, transB = try node.int("transB", default: 0) != 0
        return .single { inputs in
            let a = try inputs.float(0), b = try inputs.float(1), c = try inputs.optionalFloat(2)
            guard a.value.rank == 2, b.value.rank == 2 else {
                throw inputs.error("Gemm needs matrices, got \(a.shape) and \(b.shape)")
            }
            let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let (k2, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            guard k == k2 else { throw inputs.error("inner dimensions differ: \(a.shape)\(transA ? "ᵀ" : "") × \(b.shape)\(transB ? "ᵀ" : "")") }
            if let c { _ = try c.value.broadcast(to: [m, n]) }
            if !a.requiresGradient && !b.requiresGradient && !(c?.requiresGradient ?? false) {
                return .float(Variable(try fusedGemm(a.value, b.value, c?.value, m: m, n: n, k: k, alpha: alpha, beta: beta, transA: transA, transB: transB)))
            }
            var product = try Variable.matmul(a, b, transposeA: transA, transposeB: transB)
            if alpha != 1 { product = product * alpha }
            guard let c, beta != 0 else { return .float(product) }
            return .float(try product + (beta == 1 ? c : c * beta))
        }
    }

    /// `alpha·op(A)·op(B) + beta·C` in one GEMM call, C broadcast into the output first.
    static func fusedGemm(
        _ a: Tensor<Float>, _ b: Tensor<Float>, _ c: Tensor<Float>?, m: Int, n: Int, k: Int, alpha: Float, beta: Float, transA: Bool,
        transB: Bool
    ) throws -> Tensor<Float> {
        let bias: Tensor<Float>? = try c.map { beta == 1 ? try $0.broadcast(to: [m, n]) : try ($0 * beta).broadcast(to: [m, n]) }
        return try Tensor<Float>.build(shape: [m, n]) { out in
            guard m > 0, n > 0 else { return }
            let base = out.baseAddress!
            if let bias {
                if bias.strides == [0, 1] {
                    // A row vector: copy it into each row.
                    let row = try bias.sliced(axis: 0, start: 0, end: 1).contiguous()
                    row.withUnsafeBufferPointer { source in
                        for i in 0..<m { (base + i * n).update(from: source.baseAddress!, count: n) }
                    }
                } else {
                    bias.withUnsafeBufferPointer { source in base.update(from: source.baseAddress!, count: m * n) }
                }
            }
            guard k > 0 else {
                if bias == nil { base.update(repeating: 0, count: m * n) }
                return
            }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    GEMM.multiply(
                        m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, aRowStride: transA ? 1 : k, aColumnStride: transA ? m : 1,
                        b: pb.baseAddress!, bRowStride: transB ? 1 : n, bColumnStride: transB ? k : 1, beta: bias == nil ? 0 : 1,
                        c: base, ldc: n)
                }
            }
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
