#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary elementwise operation; the `…Backward` cases combine a forward value with an incoming
/// gradient (`a` is the forward input or output named in the case, `b` the gradient).
package enum BinaryKernel: Sendable {
    case add, subtract, multiply, divide, maximum, minimum, power
    /// `a >= b ? 1 : 0`.
    case greaterOrEqual
    /// `a` is the input x: `x > 0 ? g : 0`.
    case reluBackward
    /// `a` is the input x: `x > 0 ? g : alpha * g`.
    case leakyReluBackward
    /// `a` is the output y: `g * y * (1 - y)`.
    case sigmoidBackward
    /// `a` is the output y: `g * (1 - y * y)`.
    case tanhBackward
    /// `a` is the input x: `alpha <= x <= beta ? g : 0`.
    case clipBackward
}

/// A unary elementwise operation; `alpha`/`beta` parameterise the cases that need them.
package enum UnaryKernel: Sendable {
    case negate, abs, exp, log, sqrt, reciprocal, square, relu, sigmoid, tanh
    /// −1, 0 or 1 (NaN stays NaN).
    case sign
    /// `x > 0 ? x : alpha * x`.
    case leakyRelu
    /// `min(max(x, alpha), beta)`.
    case clip
    /// `alpha * x + beta`.
    case affine
}

/// Pointer-level elementwise loops: one switch outside, a specialised loop inside.
package enum ElementwiseKernels {
    /// `out[i] = op(a[i * aStride], b[i * bStride])` for `i` in `0..<count`.
    package static func binary(
        _ op: BinaryKernel, count: Int, a: UnsafePointer<Float>, aStride: Int, b: UnsafePointer<Float>, bStride: Int,
        out: UnsafeMutablePointer<Float>, alpha: Float = 0, beta: Float = 0
    ) {
        switch op {
        case .add: loop(count, a, aStride, b, bStride, out) { $0 + $1 }
        case .subtract: loop(count, a, aStride, b, bStride, out) { $0 - $1 }
        case .multiply: loop(count, a, aStride, b, bStride, out) { $0 * $1 }
        case .divide: loop(count, a, aStride, b, bStride, out) { $0 / $1 }
        case .maximum: loop(count, a, aStride, b, bStride, out) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .minimum: loop(count, a, aStride, b, bStride, out) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .power: loop(count, a, aStride, b, bStride, out) { powf($0, $1) }
        case .greaterOrEqual: loop(count, a, aStride, b, bStride, out) { $0 >= $1 ? 1 : 0 }
        case .reluBackward: loop(count, a, aStride, b, bStride, out) { $0 > 0 ? $1 : 0 }
        case .leakyReluBackward: loop(count, a, aStride, b, bStride, out) { $0 > 0 ? $1 : alpha * $1 }
        case .sigmoidBackward: loop(count, a, aStride, b, bStride, out) { $1 * $0 * (1 - $0) }
        case .tanhBackward: loop(count, a, aStride, b, bStride, out) { $1 * (1 - $0 * $0) }
        case .clipBackward: loop(count, a, aStride, b, bStride, out) { $0 >= alpha && $0 <= beta ? $1 : 0 }
        }
    }

    @inline(__always)
    static func loop(
        _ count: Int, _ a: UnsafePointer<Float>, _ aStride: Int, _ b: UnsafePointer<Float>, _ bStride: Int,
        _ out: UnsafeMutablePointer<Float>, _ f: (Float, Float) -> Float
    ) {
        if aStride == 1 && bStride == 1 {
            for i in 0..<count { out[i] = f(a[i], b[i]) }
        } else if aStride == 1 && bStride == 0 {
            let s = b[0]
            for i in 0..<count { out[i] = f(a[i], s) }
        } else if aStride == 0 && bStride == 1 {
            let s = a[0]
            for i in 0..<count { out[i] = f(s, b[i]) }
        } else {
            for i in 0..<count { out[i] = f(a[i * aStride], b[i * bStride]) }
        }
    }

    /// `out[i] = op(x[i * stride])` for `i` in `0..<count`.
    package static func unary(
        _ op: UnaryKernel, count: Int, x: UnsafePointer<Float>, stride: Int, out: UnsafeMutablePointer<Float>,
        alpha: Float = 0, beta: Float = 0
    ) {
        switch op {
        case .negate: map(count, x, stride, out) { -$0 }
        case .sign: map(count, x, stride, out) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .abs: map(count, x, stride, out) { Swift.abs($0) }
        case .exp: map(count, x, stride, out) { expf($0) }
        case .log: map(count, x, stride, out) { logf($0) }
        case .sqrt: map(count, x, stride, out) { $0.squareRoot() }
        case .reciprocal: map(count, x, stride, out) { 1 / $0 }
        case .square: map(count, x, stride, out) { $0 * $0 }
        case .relu: map(count, x, stride, out) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .sigmoid: map(count, x, stride, out) { sigmoid($0) }
        case .tanh: map(count, x, stride, out) { tanhf($0) }
        case .leakyRelu: map(count, x, stride, out) { $0 > 0 ? $0 : alpha * $0 }
        case .clip: map(count, x, stride, out) { $0.isNaN ? $0 : Swift.min(Swift.max($0, alpha), beta) }
        case .affine: map(count, x, stride, out) { alpha * $0 + beta }
        }
    }

    @inline(__always)
    static func map(
        _ count: Int, _ x: UnsafePointer<Float>, _ stride: Int, _ out: UnsafeMutablePointer<Float>,
        _ f: (Float) -> Float
    ) {
        if stride == 1 {
            for i in 0..<count { out[i] = f(x[i]) }
        } else {
            for i in 0..<count { out[i] = f(x[i * stride]) }
        }
    }

    /// The logistic function, computed without overflow for large |x|.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }

    /// `y[i] += alpha * x[i]` (contiguous).
    package static func addScaled(count: Int, alpha: Float, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }
}
