import Foundation
import WardenCore

/// The Gaussian mechanism, (ε, δ)-DP for a query of L2 sensitivity Δ, calibrated either with the
/// classic bound or exactly with the analytic Gaussian mechanism.
public struct GaussianMechanism: Sendable {
    /// How σ is chosen.
    public enum Calibration: String, Sendable, Codable, CaseIterable {
        /// σ = Δ·√(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Thm A.1); valid only for ε < 1.
        case classic
        /// The smallest σ with Φ(Δ/2σ − εσ/Δ) − e^ε·Φ(−Δ/2σ − εσ/Δ) ≤ δ (Balle & Wang 2018, Thm 8),
        /// found by bisection; valid for every ε > 0 and never larger than the classic σ.
        case analytic
    }

    public let epsilon: Double
    public let delta: Double
    public let sensitivity: Double
    public let calibration: Calibration
    /// The noise standard deviation.
    public let sigma: Double

    /// - Throws: ``WardenError`` (`invalidInput`) for ε ≤ 0, δ ∉ (0, 1), Δ ≤ 0, or the classic
    ///   calibration with ε ≥ 1.
    public init(epsilon: Double, delta: Double, sensitivity: Double, calibration: Calibration = .analytic)
        throws(WardenError)
    {
        guard epsilon.isFinite, epsilon > 0 else { throw .invalidInput("ε must be > 0, not \(epsilon)") }
        guard delta > 0, delta < 1 else { throw .invalidInput("δ must be in (0, 1) for the Gaussian mechanism, not \(delta)") }
        guard sensitivity.isFinite, sensitivity > 0 else { throw .invalidInput("The sensitivity must be > 0, not \(sensitivity)") }
        self.epsilon = epsilon
        self.delta = delta
        self.sensitivity = sensitivity
        self.calibration = calibration
        switch calibration {
        case .classic:
            guard epsilon < 1 else {
                throw .invalidInput("The classic Gaussian calibration holds only for ε < 1; use the analytic one for ε = \(epsilon)")
            }
            sigma = Self.classicSigma(epsilon: epsilon, delta: delta, sensitivity: sensitivity)
        case .analytic:
            sigma = Self.analyticSigma(epsilon: epsilon, delta: delta, sensitivity: sensitivity)
        }
    }

    /// Δ·√(2 ln(1.25/δ))/ε.
    public static func classicSigma(epsilon: Double, delta: Double, sensitivity: Double) -> Double {
        sensitivity * (2 * log(1.25 / delta)).squareRoot() / epsilon
    }

    /// The exact δ of Gaussian noise σ on a Δ-sensitive query at ε (Balle & Wang 2018, Thm 8).
    public static func delta(sigma: Double, epsilon: Double, sensitivity: Double) -> Double {
        let a = sensitivity / (2 * sigma)
        let b = epsilon * sigma / sensitivity
        let first = NormalDistribution.cdf(a - b)
        let second = exp(epsilon + NormalDistribution.logCDF(-a - b))
        return max(0, first - second)
    }

    /// The smallest σ meeting (ε, δ), by bisection on log σ to a relative width of 10⁻¹².
    public static func analyticSigma(epsilon: Double, delta target: Double, sensitivity: Double) -> Double {
        // δ(σ) decreases in σ. Bracket: the classic σ (with ε capped at 1) always suffices.
        var high = classicSigma(epsilon: min(epsilon, 0.99), delta: target, sensitivity: sensitivity)
        while delta(sigma: high, epsilon: epsilon, sensitivity: sensitivity) > target { high *= 2 }
        var low = high / 2
        while low > 1e-300 && delta(sigma: low, epsilon: epsilon, sensitivity: sensitivity) <= target { low /= 2 }
        for _ in 0..<200 {
            let mid = (low * high).squareRoot()
            if delta(sigma: mid, epsilon: epsilon, sensitivity: sensitivity) <= target { high = mid } else { low = mid }
            if high / low - 1 < 1e-12 { break }
        }
        return high
    }

    /// `value` plus Gaussian noise drawn from `rng`, rounded to a power-of-two grid below σ/1024.
    ///
    /// The rounding hides the low-order-bit pattern of the floating-point normal sampler, the attack
    /// surface Mironov (2012) describes for Laplace. Unlike snapping it has no proof; a discrete
    /// Gaussian (Canonne, Kamath, Steinke 2020) would have one. See docs/privacy.md.
    public func release(_ value: Double, using rng: inout some RandomNumberGenerator) -> Double {
        let noisy = value + sigma * NoiseSampler.standardNormal(using: &rng)
        let grid = NoiseSampler.powerOfTwo(atLeast: sigma / 1024) / 2
        return NoiseSampler.round(noisy, toMultipleOf: grid)
    }

    /// `value` plus Gaussian noise from the system's secure generator.
    public func release(_ value: Double) -> Double {
        var rng = SystemRandomNumberGenerator()
        return release(value, using: &rng)
    }
}
