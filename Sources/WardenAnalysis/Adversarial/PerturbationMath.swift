import Foundation
import WardenTensor

/// Row-wise vector operations on flat `rows × width` arrays, shared by the attacks.
package enum PerturbationMath {
    package static func l2(_ v: ArraySlice<Float>) -> Float {
        var total: Float = 0
        for x in v { total += x * x }
        return total.squareRoot()
    }

    /// The L2 and L∞ distance of each row of `a` from the same row of `b`.
    package static func distances(_ a: [Float], _ b: [Float], width: Int) -> [(l2: Float, linf: Float)] {
        stride(from: 0, to: a.count, by: width).map { start in
            var total: Float = 0, top: Float = 0
            for i in start..<(start + width) {
                let d = a[i] - b[i]
                total += d * d
                top = max(top, abs(d))
            }
            return (total.squareRoot(), top)
        }
    }

    /// Clips every value into `lower…upper`.
    package static func clip(_ x: inout [Float], _ lower: Float, _ upper: Float) {
        for i in x.indices { x[i] = min(max(x[i], lower), upper) }
    }

    /// Projects each row of `x` onto the ε-ball (L∞ or L2) around the same row of `origin`.
    package static func project(_ x: inout [Float], onto origin: [Float], epsilon: Float, norm: AttackSettings.Norm, width: Int) {
        switch norm {
        case .inf:
            for i in x.indices { x[i] = min(max(x[i], origin[i] - epsilon), origin[i] + epsilon) }
        case .l2:
            for start in stride(from: 0, to: x.count, by: width) {
                var total: Float = 0
                for i in start..<(start + width) { total += (x[i] - origin[i]) * (x[i] - origin[i]) }
                let length = total.squareRoot()
                guard length > epsilon else { continue }
                let scale = epsilon / length
                for i in start..<(start + width) { x[i] = origin[i] + (x[i] - origin[i]) * scale }
            }
        }
    }

    /// Adds `size` times the steepest-ascent direction of `gradient` for the norm: its sign for L∞,
    /// the gradient scaled to unit length for L2 (a zero gradient moves nothing).
    package static func step(_ x: inout [Float], along gradient: [Float], size: Float, norm: AttackSettings.Norm, width: Int) {
        switch norm {
        case .inf:
            for i in x.indices where gradient[i] != 0 { x[i] += gradient[i] > 0 ? size : -size }
        case .l2:
            for start in stride(from: 0, to: x.count, by: width) {
                let length = l2(gradient[start..<(start + width)])
                guard length > 1e-12 else { continue }
                for i in start..<(start + width) { x[i] += size * gradient[i] / length }
            }
        }
    }

    /// A standard normal draw (Box–Muller).
    package static func normal(_ generator: inout SeededRandomGenerator) -> Float {
        let u1 = max(Double(generator.next() >> 11) * 0x1p-53, 1e-300)
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// A uniform draw in `0..<1`.
    package static func uniform(_ generator: inout SeededRandomGenerator) -> Float {
        Float(Double(generator.next() >> 11) * 0x1p-53)
    }

    /// A random point in the ε-ball of each row (uniform in the L∞ cube; uniform in the L2 ball).
    package static func randomStart(around x: [Float], epsilon: Float, norm: AttackSettings.Norm, width: Int, generator: inout SeededRandomGenerator) -> [Float] {
        var result = x
        switch norm {
        case .inf:
            for i in result.indices { result[i] += epsilon * (2 * uniform(&generator) - 1) }
        case .l2:
            for start in stride(from: 0, to: x.count, by: width) {
                var direction = (0..<width).map { _ in normal(&generator) }
                let length = max(l2(direction[...]), 1e-12)
                let radius = epsilon * Float(pow(Double(uniform(&generator)), 1 / Double(width)))
                for j in 0..<width { direction[j] *= radius / length }
                for j in 0..<width { result[start + j] += direction[j] }
            }
        }
        return result
    }
}
