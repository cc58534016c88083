import Foundation
import WardenCore

/// A fast seeded random number generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same initial weights, dropout masks and shuffles on every run.
public struct SeededRandomGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}

extension Tensor where Element == Float {
    /// Uniform random values in `low..<high`.
    /// - Throws: `.invalidInput` for an invalid shape or an empty range.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, generator: inout some RandomNumberGenerator
    ) throws -> Tensor {
        guard low < high else { throw WardenError.invalidInput("Uniform range \(low)..<\(high) is empty") }
        return try build(shape: shape) { out in
            for i in out.indices { out[i] = Float.random(in: low..<high, using: &generator) }
        }
    }

    /// Normal random values (Box–Muller).
    /// - Throws: `.invalidInput` for an invalid shape.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout some RandomNumberGenerator
    ) throws -> Tensor {
        try build(shape: shape) { out in
            var i = 0
            while i < out.count {
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
                let u2 = Double.random(in: 0..<1, using: &generator)
                let radius = (-2 * Foundation.log(u1)).squareRoot()
                out[i] = mean + standardDeviation * Float(radius * Foundation.cos(2 * .pi * u2))
                if i + 1 < out.count { out[i + 1] = mean + standardDeviation * Float(radius * Foundation.sin(2 * .pi * u2)) }
                i += 2
            }
        }
    }
}
