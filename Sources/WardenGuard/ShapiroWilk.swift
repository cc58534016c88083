import Foundation
import Synchronization
import WardenAnalysis

/// The Shapiro–Wilk test of normality with Royston's approximations (Royston 1992, "Approximating
/// the Shapiro-Wilk W-test for non-normality", Statistics and Computing 2; algorithm AS R94, 1995):
/// coefficients from the expected normal order statistics with polynomial corrections for the two
/// extreme ones, and the p-value from a normalising transformation of W (3 ≤ n ≤ 5000). The
/// statistic and p-value match scipy's `shapiro` (which wraps the same algorithm) to about 1e-6.
public enum ShapiroWilk {
    /// W and its p-value (small p: not normal).
    public struct Result: Sendable, Equatable {
        public var w: Double
        public var p: Double
    }

    /// The test on `sample` (any order). Nil for fewer than 3 values, more than 5000, a non-finite
    /// value, or a sample whose values are all equal (W is undefined).
    public static func test(_ sample: [Double]) -> Result? {
        let n = sample.count
        guard n >= 3, n <= 5000, sample.allSatisfy(\.isFinite) else { return nil }
        let x = sample.sorted()
        guard x[n - 1] - x[0] > 1e-19 * max(1, abs(x[0])) else { return nil }
        let a = cachedCoefficients(n)
        // W = (Σ aᵢ x₍ᵢ₎)² / Σ (xᵢ − x̄)², on values centred at the median for precision.
        let centre = x[n / 2]
        var mean = 0.0
        for value in x { mean += value - centre }
        mean /= Double(n)
        var ss = 0.0, ax = 0.0
        for i in 0..<n {
            let d = x[i] - centre
            ss += (d - mean) * (d - mean)
            // a is antisymmetric: a[n-1-i] = −a[i].
            ax += (i < n / 2 ? -a[i] : (i >= n - n / 2 ? a[n - 1 - i] : 0)) * d
        }
        let w = min(1, ax * ax / ss)
        return Result(w: w, p: pValue(w, n: n))
    }

    /// ``coefficients(_:)`` for n, remembered: they depend on n only and cost ⌊n/2⌋ normal
    /// quantiles, which would dominate a test repeated on a sliding window of the same size.
    /// At most 64 sizes are kept (the cache starts over beyond).
    static func cachedCoefficients(_ n: Int) -> [Double] {
        if let known = coefficientCache.withLock({ $0[n] }) { return known }
        let a = coefficients(n)
        coefficientCache.withLock { cache in
            if cache.count >= 64 { cache.removeAll(keepingCapacity: true) }
            cache[n] = a
        }
        return a
    }

    private static let coefficientCache = Mutex<[Int: [Double]]>([:])

    /// The positive halves of the coefficients: `a[0]` pairs with the largest and smallest value,
    /// `a[1]` with the next, … (⌊n/2⌋ values).
    static func coefficients(_ n: Int) -> [Double] {
        let half = n / 2
        if n == 3 { return [(0.5).squareRoot()] }
        let an = Double(n)
        // Expected normal order statistics, the largest first: m[i] = Φ⁻¹((n−i−0.375)/(n+0.25)).
        let m = (0..<half).map { i in Distributions.normalQuantile((an - Double(i) - 0.375) / (an + 0.25)) }
        let summ2 = 2 * m.reduce(0) { $0 + $1 * $1 }
        let ssumm2 = summ2.squareRoot()
        let u = 1 / an.squareRoot()
        var a = m.map { $0 / ssumm2 }
        a[0] = m[0] / ssumm2 + polynomial([0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056], u)
        let first: Int
        let epsilon: Double
        if n > 5 {
            a[1] = m[1] / ssumm2 + polynomial([0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633], u)
            epsilon = (summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a[0] * a[0] - 2 * a[1] * a[1])
            first = 2
        } else {
            epsilon = (summ2 - 2 * m[0] * m[0]) / (1 - 2 * a[0] * a[0])
            first = 1
        }
        let scale = epsilon.squareRoot()
        for i in first..<half { a[i] = m[i] / scale }
        return a
    }

    /// Royston's (1995) p-value of W for a sample of n.
    static func pValue(_ w: Double, n: Int) -> Double {
        if n == 3 {
            let p = 6 / Double.pi * (asin(w.squareRoot()) - asin((0.75).squareRoot()))
            return min(1, max(0, p))
        }
        let an = Double(n)
        var y = log(1 - w)
        let mean: Double
        let sd: Double
        if n <= 11 {
            let gamma = polynomial([-2.273, 0.459], an)
            guard y < gamma else { return 1e-99 }
            y = -log(gamma - y)
            mean = polynomial([0.5440, -0.39978, 0.025054, -6.714e-4], an)
            sd = exp(polynomial([1.3822, -0.77857, 0.062767, -0.0020322], an))
        } else {
            let ln = log(an)
            mean = polynomial([-1.5861, -0.31082, -0.083751, 0.0038915], ln)
            sd = exp(polynomial([-0.4803, -0.082676, 0.0030302], ln))
        }
        // Upper tail of N(mean, sd).
        return 1 - Distributions.normalCDF((y - mean) / sd)
    }

    /// c₀ + c₁x + c₂x² + … (Horner).
    static func polynomial(_ c: [Double], _ x: Double) -> Double {
        c.reversed().reduce(0) { $0 * x + $1 }
    }
}
