#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a reduction combines values.
package enum ReductionKernel: Sendable {
    case sum, maximum, minimum
}

/// Reductions and softmax over the middle axis of a contiguous `outer × n × inner` array. Every loop
/// has a fixed order, so results are bit-for-bit the same from run to run.
package enum ReductionKernels {
    /// `out[o * inner + i] = reduce over k of x[(o * n + k) * inner + i]`.
    package static func reduce(
        _ op: ReductionKernel, outer: Int, n: Int, inner: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<outer {
            let src = x + o * n * inner
            let dst = out + o * inner
            if inner == 1 {
                dst[0] = reduceContiguous(op, n, src)
                continue
            }
            if n == 0 {
                dst.update(repeating: identity(op), count: inner)
                continue
            }
            dst.update(from: src, count: inner)
            for k in 1..<n {
                let line = src + k * inner
                switch op {
                case .sum: for i in 0..<inner { dst[i] += line[i] }
                case .maximum: for i in 0..<inner { dst[i] = combineMax(dst[i], line[i]) }
                case .minimum: for i in 0..<inner { dst[i] = combineMin(dst[i], line[i]) }
                }
            }
        }
    }

    static func identity(_ op: ReductionKernel) -> Float {
        switch op {
        case .sum: 0
        case .maximum: -.infinity
        case .minimum: .infinity
        }
    }

    @inline(__always) static func combineMax(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : max(a, b) }
    @inline(__always) static func combineMin(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : min(a, b) }

    /// Reduces `count` contiguous values; sums use eight interleaved partial sums (fixed order).
    static func reduceContiguous(_ op: ReductionKernel, _ count: Int, _ x: UnsafePointer<Float>) -> Float {
        switch op {
        case .sum:
            var partial = SIMD8<Float>()
            var i = 0
            let raw = UnsafeRawPointer(x)
            while i + 8 <= count {
                partial += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            var total = partial.sum()
            while i < count { total += x[i]; i += 1 }
            return total
        case .maximum:
            var best = -Float.infinity
            for i in 0..<count { best = combineMax(best, x[i]) }
            return best
        case .minimum:
            var best = Float.infinity
            for i in 0..<count { best = combineMin(best, x[i]) }
            return best
        }
    }

    /// Index of the first largest (or smallest) value along the middle axis; NaN counts as largest.
    package static func argExtreme(
        largest: Bool, outer: Int, n: Int, inner: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Int64>
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let src = x + o * n * inner + i
                var best = src[0]
                var index = 0
                if best.isNaN { out[o * inner + i] = 0; continue }
                for k in 1..<max(n, 1) {
                    let value = src[k * inner]
                    if value.isNaN { index = k; break }
                    if largest ? value > best : value < best {
                        best = value
                        index = k
                    }
                }
                out[o * inner + i] = Int64(index)
            }
        }
    }

    /// Softmax (or log-softmax) along the middle axis, max-subtracted for stability.
    package static func softmax(
        log: Bool, outer: Int, n: Int, inner: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let src = x + o * n * inner + i
                let dst = out + o * n * inner + i
                var maximum = -Float.infinity
                for k in 0..<n { maximum = combineMax(maximum, src[k * inner]) }
                if maximum == -.infinity { maximum = 0 }
                var total: Float = 0
                for k in 0..<n {
                    let e = expf(src[k * inner] - maximum)
                    total += e
                    if !log { dst[k * inner] = e }
                }
                if log {
                    let shift = maximum + logf(total)
                    for k in 0..<n { dst[k * inner] = src[k * inner] - shift }
                } else {
                    let scale = 1 / total
                    for k in 0..<n { dst[k * inner] *= scale }
                }
            }
        }
    }

    /// Gradient of softmax (`y` its output) or log-softmax (`y` its output) along the middle axis:
    /// softmax `dx = y * (g - Σ g·y)`, log-softmax `dx = g - exp(y) * Σ g`.
    package static func softmaxBackward(
        log: Bool, outer: Int, n: Int, inner: Int, y: UnsafePointer<Float>, g: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var total: Float = 0
                if log {
                    for k in 0..<n { total += g[base + k * inner] }
                    for k in 0..<n { out[base + k * inner] = g[base + k * inner] - expf(y[base + k * inner]) * total }
                } else {
                    for k in 0..<n { total += g[base + k * inner] * y[base + k * inner] }
                    for k in 0..<n { out[base + k * inner] = y[base + k * inner] * (g[base + k * inner] - total) }
                }
            }
        }
    }

    /// Per-channel sums over a contiguous `batch × channels × inner` array: `sum[c] = Σ x`, and when
    /// `y` is given, `productSum[c] = Σ x·y` (batch normalisation's statistics and gradients).
    package static func channelSums(
        batch: Int, channels: Int, inner: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>?,
        sum: UnsafeMutablePointer<Float>, productSum: UnsafeMutablePointer<Float>?
    ) {
        sum.update(repeating: 0, count: channels)
        productSum?.update(repeating: 0, count: channels)
        for b in 0..<batch {
            for c in 0..<channels {
                let offset = (b * channels + c) * inner
                sum[c] += reduceContiguous(.sum, inner, x + offset)
                if let y, let productSum {
                    var total: Float = 0
                    for i in 0..<inner { total += x[offset + i] * y[offset + i] }
                    productSum[c] += total
                }
            }
        }
    }

    /// `out = x * scale[c] + shift[c]` over a contiguous `batch × channels × inner` array.
    package static func channelAffine(
        batch: Int, channels: Int, inner: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
        shift: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<batch {
            for c in 0..<channels {
                let offset = (b * channels + c) * inner
                let s = scale[c]
                let t = shift[c]
                for i in 0..<inner { out[offset + i] = x[offset + i] * s + t }
            }
        }
    }
}
