import WardenCore
import WardenKernelsGeneric

/// Elementwise arithmetic and activations on `Float` tensors, with NumPy/ONNX broadcasting.
extension Tensor where Element == Float {
    /// Applies a binary kernel to two tensors broadcast to a common shape.
    package static func binary(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor, alpha: Float = 0, beta: Float = 0) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape)
        let left = try a.broadcast(to: shape)
        let right = try b.broadcast(to: shape)
        let result = try build(shape: shape) { _ in }
        StridedRuns.forEach(shape: shape, strides: left.strides, right.strides) { position, offsetA, offsetB, run, strideA, strideB in
            ElementwiseKernels.binary(
                op, count: run, a: left.pointer + offsetA, aStride: strideA, b: right.pointer + offsetB, bStride: strideB,
                out: result.pointer + position, alpha: alpha, beta: beta)
        }
        return result
    }

    /// Applies a unary kernel elementwise.
    package func unary(_ op: UnaryKernel, alpha: Float = 0, beta: Float = 0) -> Tensor {
        let result = Tensor.uninitialized(shape: shape, count: count)
        StridedRuns.forEach(shape: shape, strides: strides) { position, source, run, stride in
            ElementwiseKernels.unary(op, count: run, x: pointer + source, stride: stride, out: result.pointer + position, alpha: alpha, beta: beta)
        }
        return result
    }

    /// Elementwise sum with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    /// Elementwise difference with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(.subtract, a, b) }
    /// Elementwise product with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.multiply, a, b) }
    /// Elementwise quotient with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.divide, a, b) }

    public static func + (a: Tensor, b: Float) -> Tensor { a.unary(.affine, alpha: 1, beta: b) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.unary(.affine, alpha: 1, beta: -b) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.unary(.affine, alpha: b, beta: 0) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.unary(.affine, alpha: 1 / b, beta: 0) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.unary(.affine, alpha: a, beta: 0) }
    public static prefix func - (a: Tensor) -> Tensor { a.unary(.negate) }

    /// `a` raised to `b` elementwise, with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public func raised(to exponent: Tensor) throws -> Tensor { try Tensor.binary(.power, self, exponent) }
    /// The elementwise maximum (NaN if either is NaN), with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public func maximum(_ other: Tensor) throws -> Tensor { try Tensor.binary(.maximum, self, other) }
    /// The elementwise minimum (NaN if either is NaN), with broadcasting.
    /// - Throws: `.invalidInput` when the shapes do not broadcast.
    public func minimum(_ other: Tensor) throws -> Tensor { try Tensor.binary(.minimum, self, other) }

    public func exp() -> Tensor { unary(.exp) }
    public func log() -> Tensor { unary(.log) }
    public func squareRoot() -> Tensor { unary(.sqrt) }
    public func abs() -> Tensor { unary(.abs) }
    /// −1, 0 or 1 per element (NaN stays NaN).
    public func sign() -> Tensor { unary(.sign) }
    public func squared() -> Tensor { unary(.square) }
    public func reciprocal() -> Tensor { unary(.reciprocal) }
    /// `Swift.max(x, 0)`.
    public func relu() -> Tensor { unary(.relu) }
    /// `x > 0 ? x : alpha·x` (ONNX `LeakyRelu`, default alpha 0.01).
    public func leakyRelu(alpha: Float = 0.01) -> Tensor { unary(.leakyRelu, alpha: alpha) }
    /// `1 / (1 + e^−x)`, computed without overflow.
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    public func tanh() -> Tensor { unary(.tanh) }
    /// Each element clamped to `lower…upper` (ONNX `Clip`); NaN stays NaN.
    public func clipped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
        unary(.clip, alpha: lower, beta: upper)
    }

    /// Whether any element is NaN or infinite.
    public var hasNonFinite: Bool {
        withUnsafeBufferPointer { buffer in buffer.contains { !$0.isFinite } }
    }

    /// Ones of the given shape.
    /// - Throws: `.invalidInput` for an invalid shape.
    public static func ones(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, repeating: 1) }
}
