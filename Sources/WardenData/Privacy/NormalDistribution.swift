import Foundation

/// The standard normal distribution's CDF and the log of `erfc`, accurate far into the tails where
/// the accountants and the analytic Gaussian calibration need them.
enum NormalDistribution {
    /// Φ(x), the standard normal CDF.
    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// log Φ(x), accurate for very negative x (where Φ underflows).
    static func logCDF(_ x: Double) -> Double {
        if x > 5 { return log1p(-0.5 * erfc(x / 2.0.squareRoot())) }
        return log(0.5) + logErfc(-x / 2.0.squareRoot())
    }

    /// log(erfc(x)): `erfc` directly while it is a normal double, then the asymptotic series
    /// erfc(x) ≈ exp(−x²)/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸) − 945/(32x¹⁰)).
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let z = 1 / (x * x)
        let series = 1 - z / 2 + 3 * z * z / 4 - 15 * z * z * z / 8 + 105 * z * z * z * z / 16 - 945 * pow(z, 5) / 32
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }

    /// log(exp(a) + exp(b)) without overflow.
    static func logAdd(_ a: Double, _ b: Double) -> Double {
        let (low, high) = (min(a, b), max(a, b))
        if low == -.infinity { return high }
        return log1p(exp(low - high)) + high
    }

    /// log |C(n, k)| for real n (the log-gamma form, as the RDP series needs).
    static func logBinomial(_ n: Double, _ k: Double) -> Double {
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    }
}
