import WardenCore
import WardenKernelsGeneric

/// Differentiable elementwise arithmetic, activations, matrix products and reductions.
extension Variable {
    public static func + (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value + b.value
        return record(value, [a, b]) { g in
            [a.requiresGradient ? try g.unbroadcast(to: a.shape) : nil, b.requiresGradient ? try g.unbroadcast(to: b.shape) : nil]
        }
    }

    public static func - (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value - b.value
        return record(value, [a, b]) { g in
            [a.requiresGradient ? try g.unbroadcast(to: a.shape) : nil, b.requiresGradient ? try (-g).unbroadcast(to: b.shape) : nil]
        }
    }

    public static func * (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value * b.value
        return record(value, [a, b]) { g in
            [
                a.requiresGradient ? try (g * b.value).unbroadcast(to: a.shape) : nil,
                b.requiresGradient ? try (g * a.value).unbroadcast(to: b.shape) : nil,
            ]
        }
    }

    public static func / (a: Variable, b: Variable) throws -> Variable {
        let value = try a.value / b.value
        return record(value, [a, b]) { g in
            [
                a.requiresGradient ? try (g / b.value).unbroadcast(to: a.shape) : nil,
                // d(a/b)/db = −a/b² = −(a/b)/b
                b.requiresGradient ? try (-(try g * value / b.value)).unbroadcast(to: b.shape) : nil,
            ]
        }
    }

    public static func + (a: Variable, b: Float) -> Variable { record(a.value + b, [a]) { g in [g] } }
    public static func - (a: Variable, b: Float) -> Variable { record(a.value - b, [a]) { g in [g] } }
    public static func * (a: Variable, b: Float) -> Variable { record(a.value * b, [a]) { g in [g * b] } }
    public static func * (a: Float, b: Variable) -> Variable { b * a }
    public static func / (a: Variable, b: Float) -> Variable { a * (1 / b) }
    public static prefix func - (a: Variable) -> Variable { record(-a.value, [a]) { g in [-g] } }

    /// The elementwise maximum; the gradient goes to the larger input (to `self` on ties).
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public func maximum(_ other: Variable) throws -> Variable {
        let a = self
        return Variable.record(try value.maximum(other.value), [a, other]) { g in
            let towardSelf = try g * Tensor.binary(.greaterOrEqual, a.value, other.value)
            return [
                a.requiresGradient ? try towardSelf.unbroadcast(to: a.shape) : nil,
                other.requiresGradient ? try (g - towardSelf).unbroadcast(to: other.shape) : nil,
            ]
        }
    }

    public func exp() -> Variable {
        let value = self.value.exp()
        return Variable.record(value, [self]) { g in [try g * value] }
    }

    public func log() -> Variable {
        let x = self.value
        return Variable.record(x.log(), [self]) { g in [try g / x] }
    }

    public func squareRoot() -> Variable {
        let value = self.value.squareRoot()
        return Variable.record(value, [self]) { g in [try g / (value * 2)] }
    }

    public func squared() -> Variable {
        let x = self.value
        return Variable.record(x.squared(), [self]) { g in [try g * (x * 2)] }
    }

    public func abs() -> Variable {
        let x = self.value
        return Variable.record(x.abs(), [self]) { g in
            [try g * x.unary(.sign)]
        }
    }

    public func relu() -> Variable {
        let x = self.value
        return Variable.record(x.relu(), [self]) { g in [try Tensor.binary(.reluBackward, x, g)] }
    }

    public func leakyRelu(alpha: Float = 0.01) -> Variable {
        let x = self.value
        return Variable.record(x.leakyRelu(alpha: alpha), [self]) { g in [try Tensor.binary(.leakyReluBackward, x, g, alpha: alpha)] }
    }

    public func sigmoid() -> Variable {
        let y = self.value.sigmoid()
        return Variable.record(y, [self]) { g in [try Tensor.binary(.sigmoidBackward, y, g)] }
    }

    public func tanh() -> Variable {
        let y = self.value.tanh()
        return Variable.record(y, [self]) { g in [try Tensor.binary(.tanhBackward, y, g)] }
    }

    /// Clamps to `lower…upper`; the gradient passes where the input is inside the range.
    public func clipped(lower: Float = -.infinity, upper: Float = .infinity) -> Variable {
        let x = self.value
        return Variable.record(x.clipped(lower: lower, upper: upper), [self]) { g in
            [try Tensor.binary(.clipBackward, x, g, alpha: lower, beta: upper)]
        }
    }

    /// The matrix product (see ``Tensor/matmul(_:_:transposeA:transposeB:)``), differentiable in both operands.
    /// - Throws: `.invalidInput` when the shapes do not fit.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) throws -> Variable {
        // Vectors become matrices first so the pullback only handles rank ≥ 2.
        if a.value.rank == 1 {
            return try matmul(a.reshaped(to: [1, a.shape[0]]), b, transposeB: transposeB).squeezedAxis(-2)
        }
        if b.value.rank == 1 {
            return try matmul(a, b.reshaped(to: [b.shape[0], 1]), transposeA: transposeA).squeezedAxis(-1)
        }
        let value = try Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        return record(value, [a, b]) { g in
            var gradA: Tensor<Float>?
            var gradB: Tensor<Float>?
            if a.requiresGradient {
                gradA = transposeA
                    ? try Tensor.matmul(b.value, g, transposeA: transposeB, transposeB: true)
                    : try Tensor.matmul(g, b.value, transposeB: !transposeB)
                gradA = try gradA!.unbroadcast(to: a.shape)
            }
            if b.requiresGradient {
                gradB = transposeB
                    ? try Tensor.matmul(g, a.value, transposeA: true, transposeB: transposeA)
                    : try Tensor.matmul(a.value, g, transposeA: !transposeA)
                gradB = try gradB!.unbroadcast(to: b.shape)
            }
            return [gradA, gradB]
        }
    }

    /// ONNX `Gemm` (see ``Tensor/gemm(_:_:_:alpha:beta:transposeA:transposeB:)``), differentiable in `a`, `b` and `c`.
    /// - Throws: `.invalidInput` when the operands are not matrices or the shapes do not fit.
    public static func gemm(
        _ a: Variable, _ b: Variable, _ c: Variable? = nil, alpha: Float = 1, beta: Float = 1, transposeA: Bool = false,
        transposeB: Bool = false
    ) throws -> Variable {
        guard a.value.rank == 2, b.value.rank == 2 else {
            throw WardenError.invalidInput("Gemm needs matrices, got \(a.shape) and \(b.shape)")
        }
        let product = try matmul(a, b, transposeA: transposeA, transposeB: transposeB) * alpha
        guard let c, beta != 0 else { return product }
        return try product + c * beta
    }

    /// The matrix product `self × other`.
    /// - Throws: `.invalidInput` when the shapes do not fit.
    public func matmul(_ other: Variable) throws -> Variable { try Variable.matmul(self, other) }

    func squeezedAxis(_ axis: Int) throws -> Variable { try squeezed(axes: [axis]) }

    /// The sum over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func sum(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        let value = try self.value.sum(axes: axes, keepingDimensions: keepingDimensions)
        let kept = try self.value.sum(axes: axes, keepingDimensions: true).shape
        let shape = self.shape
        return Variable.record(value, [self]) { g in [try g.reshaped(to: kept).broadcast(to: shape).contiguous()] }
    }

    /// The mean over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func mean(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Variable {
        let total = try sum(axes: axes, keepingDimensions: keepingDimensions)
        return total * (1 / Float(Swift.max(1, value.count / Swift.max(1, total.value.count))))
    }

    /// Softmax along `axis`.
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func softmax(axis: Int = -1) throws -> Variable { try softmax(axis: axis, log: false) }

    /// Log-softmax along `axis`.
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func logSoftmax(axis: Int = -1) throws -> Variable { try softmax(axis: axis, log: true) }

    func softmax(axis: Int, log: Bool) throws -> Variable {
        let y = try value.softmax(axis: axis, log: log)
        let (outer, n, inner, _) = try value.splitAround(axis)
        return Variable.record(y, [self]) { g in
            let dense = g.contiguous()
            return [
                try Tensor.build(shape: y.shape) { out in
                    ReductionKernels.softmaxBackward(log: log, outer: outer, n: n, inner: inner, y: y.pointer, g: dense.pointer, out: out.baseAddress!)
                }
            ]
        }
    }
}
