import Foundation

/// The statistics randomized smoothing needs, in double precision: the standard normal quantile and
/// the one-sided Clopper–Pearson lower confidence bound of a binomial proportion.
public enum ConfidenceBounds {
    /// Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation refined by one Halley step
    /// on `erfc`, good to about 1e-15). `-∞` at 0, `+∞` at 1, NaN outside 0…1.
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low || p > 1 - low {
            let q = (-2 * log(p < low ? p : 1 - p)).squareRoot()
            let tail = horner(c, q) / (horner(d, q) * q + 1)
            x = p < low ? tail : -tail
        } else {
            let q = p - 0.5, r = q * q
            x = horner(a, r) * q / (horner(b, r) * r + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// c₀xⁿ⁻¹ + c₁xⁿ⁻² + … + cₙ₋₁.
    static func horner(_ coefficients: [Double], _ x: Double) -> Double {
        coefficients.reduce(0) { $0 * x + $1 }
    }

    /// The one-sided `1 − alpha` Clopper–Pearson lower bound on a proportion after `successes` of
    /// `trials`: the `alpha` quantile of Beta(successes, trials − successes + 1) (0 when there is no
    /// success), as `statsmodels.proportion_confint(…, alpha=2·alpha, method="beta")[0]` gives.
    public static func clopperPearsonLower(successes: Int, trials: Int, alpha: Double) -> Double {
        guard successes > 0, trials > 0 else { return 0 }
        let k = Double(min(successes, trials)), n = Double(trials)
        return betaQuantile(alpha, a: k, b: n - k + 1)
    }

    /// The `p` quantile of Beta(a, b), by bisection on the regularised incomplete beta function.
    static func betaQuantile(_ p: Double, a: Double, b: Double) -> Double {
        var low = 0.0, high = 1.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if mid == low || mid == high { break }
            if regularizedIncompleteBeta(mid, a: a, b: b) < p { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    /// I_x(a, b) by Lentz's continued fraction (Numerical Recipes' `betai`).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPower: Double = a * log(x) + b * log(1 - x)
        let front = exp(logBeta + logPower)
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a: a, b: b) / a }
        return 1 - front * continuedFraction(1 - x, a: b, b: a) / b
    }

    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
