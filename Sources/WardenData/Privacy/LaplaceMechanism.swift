import Foundation
import WardenCore

/// The Laplace mechanism, ε-DP for a query of L1 sensitivity Δ, made safe against floating-point
/// attacks with Mironov's (2012) snapping mechanism.
///
/// Textbook Laplace noise computed with doubles leaks the true value through which low-order bits
/// can occur (Mironov, "On significance of the least significant bits for differential privacy",
/// CCS 2012). Snapping fixes it: in units of Δ, the output is
/// `clamp_B(round_Λ(clamp_B(x) + S·λ·ln U))` with S a random sign, U a full-precision uniform,
/// Λ the smallest power of two ≥ λ, and B = 2³⁰·λ. That is (1/λ + 12Bη/λ + 2⁻⁴⁹B/λ)-DP with
/// η = 2⁻⁵³; with B = 2³⁰λ the extra terms are a constant ≈ 3.3·10⁻⁶, so λ = 1/(ε − 3.3·10⁻⁶) meets ε
/// exactly. The price is a coarser output (multiples of Λ·Δ) and outputs clamped at ±B·Δ.
public struct LaplaceMechanism: Sendable {
    public let epsilon: Double
    public let sensitivity: Double

    /// The ε the snapping mechanism loses to floating point with B = 2³⁰λ.
    static let snappingOverhead: Double = 12 * 0x1p30 * 0x1p-53 + 0x1p30 * 0x1p-49

    /// - Throws: ``WardenError`` (`invalidInput`) unless ε > 10⁻⁵ and Δ > 0 are finite.
    public init(epsilon: Double, sensitivity: Double) throws(WardenError) {
        guard epsilon.isFinite, epsilon > 1e-5 else { throw .invalidInput("ε must be a number > 0.00001, not \(epsilon)") }
        guard sensitivity.isFinite, sensitivity > 0 else { throw .invalidInput("The sensitivity must be > 0, not \(sensitivity)") }
        self.epsilon = epsilon
        self.sensitivity = sensitivity
    }

    /// The Laplace scale b = Δ·λ actually used (slightly above Δ/ε, see the type's note).
    public var scale: Double { sensitivity / (epsilon - Self.snappingOverhead) }

    /// The standard deviation of the noise, √2·b.
    public var standardDeviation: Double { 2.0.squareRoot() * scale }

    /// `value` plus snapped Laplace noise, drawn from `rng`.
    public func release(_ value: Double, using rng: inout some RandomNumberGenerator) -> Double {
        let lambda = 1 / (epsilon - Self.snappingOverhead)
        let bound = lambda * 0x1p30
        let x = min(max(value / sensitivity, -bound), bound)
        let noisy = x + NoiseSampler.sign(using: &rng) * lambda * log(NoiseSampler.uniform(using: &rng))
        let snapped = NoiseSampler.round(noisy, toMultipleOf: NoiseSampler.powerOfTwo(atLeast: lambda))
        return min(max(snapped, -bound), bound) * sensitivity
    }

    /// `value` plus snapped Laplace noise from the system's secure generator.
    public func release(_ value: Double) -> Double {
        var rng = SystemRandomNumberGenerator()
        return release(value, using: &rng)
    }
}
