import Foundation

/// Random variates for the DP mechanisms, drawn from any `RandomNumberGenerator`: the system's
/// cryptographically secure generator in production (``SystemRandomNumberGenerator`` reads the
/// kernel's CSPRNG), a seeded one in tests only.
///
/// Uniforms are drawn the way Mironov (2012) requires for the snapping mechanism: every double in
/// (0, 1) can occur, with probability equal to the width of the interval it represents (a geometric
/// exponent and 52 random mantissa bits), not the 2⁵³ evenly spaced values of `Double.random(in:)`.
public enum NoiseSampler {
    /// A uniform double in (0, 1) where every representable value has its proper probability.
    public static func uniform(using rng: inout some RandomNumberGenerator) -> Double {
        var exponent = -1
        // Each zero bit halves the interval: P(exponent = −k) = 2⁻ᵏ.
        outer: while exponent > -1074 {
            var word = rng.next()
            for _ in 0..<64 {
                if word & 1 == 1 { break outer }
                word >>= 1
                exponent -= 1
                if exponent <= -1074 { break outer }
            }
        }
        let mantissa = rng.next() >> 12
        let value = Double(sign: .plus, exponent: exponent, significand: 1 + Double(mantissa) / 4_503_599_627_370_496)
        return value >= 1 ? 1 - Double.ulpOfOne / 2 : value
    }

    /// A fair random sign.
    public static func sign(using rng: inout some RandomNumberGenerator) -> Double {
        rng.next() & 1 == 0 ? 1 : -1
    }

    /// A standard normal variate (Box–Muller over full-precision uniforms).
    public static func standardNormal(using rng: inout some RandomNumberGenerator) -> Double {
        let u1 = uniform(using: &rng)
        let u2 = uniform(using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The smallest power of two ≥ x (x > 0).
    static func powerOfTwo(atLeast x: Double) -> Double {
        let p = Double(sign: .plus, exponent: x.exponent, significand: 1)
        return p >= x ? p : p * 2
    }

    /// x rounded to the nearest multiple of `step` (a power of two, so the division is exact).
    static func round(_ x: Double, toMultipleOf step: Double) -> Double {
        (x / step).rounded(.toNearestOrEven) * step
    }
}
