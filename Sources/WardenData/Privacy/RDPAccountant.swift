import Foundation
import WardenCore

/// Rényi-DP accounting for the Poisson-subsampled Gaussian mechanism (DP-SGD), computed as Google's
/// `dp-accounting` (0.6.0) `RdpAccountant` computes it, so the two agree to floating-point noise.
///
/// - The RDP of one step at order α is log(A_α)/(α − 1) (Mironov, Talwar, Zhang 2019, "Rényi
///   differential privacy of the sampled Gaussian mechanism"). For integer α, A_α is the binomial
///   sum Σᵢ C(α,i) qⁱ (1−q)^(α−i) exp((i²−i)/(2σ²)), added in log space. For fractional α it is the
///   two-sided series of section 3.3, each term a binomial coefficient (|C(α,i)| via log-gamma),
///   powers of q and 1−q and a Gaussian tail `erfc`, summed in log space until both terms fall
///   below e⁻³⁰ of the total (at most 1000 terms; an order that does not converge is left out).
/// - Steps compose by adding RDP; ε for a target δ is the minimum over orders of the improved
///   conversion ε = r + log1p(−1/α) − log(δ·α)/(α−1) (Canonne, Kamath, Steinke 2020, Prop. 12;
///   Asoodeh et al. 2020), with ε = 0 where δ² + expm1(−r) > 0 and orders ≤ 1.01 skipped.
public enum RDPAccountant {
    /// dp-accounting's `DEFAULT_RDP_ORDERS`: 1.1, 1.2, …, 10.9, then 11…63, then 128, 256, 512, 1024.
    public static let defaultOrders: [Double] = {
        var orders: [Double] = (1..<100).map { (x: Int) -> Double in 1 + Double(x) / 10.0 }
        orders += (11..<64).map { (x: Int) -> Double in Double(x) }
        orders += [128, 256, 512, 1024]
        return orders
    }()

    /// The result of a conversion to (ε, δ)-DP.
    public struct Result: Sendable, Equatable, Codable {
        public var epsilon: Double
        /// The Rényi order where the minimum was reached.
        public var order: Double
    }

    /// ε of `steps` steps of the Poisson-subsampled Gaussian mechanism, for a target δ.
    /// - Parameters:
    ///   - samplingRate: q, the probability that each example is in a batch, in [0, 1].
    ///   - noiseMultiplier: σ, the noise standard deviation over the L2 sensitivity (clip norm).
    ///   - steps: the number of steps (batches).
    ///   - delta: the target δ, in (0, 1).
    ///   - orders: the Rényi orders to minimise over.
    /// - Throws: ``WardenError`` (`invalidInput`) for parameters out of range.
    public static func epsilon(
        samplingRate q: Double, noiseMultiplier sigma: Double, steps: Int, delta: Double, orders: [Double] = defaultOrders
    ) throws(WardenError) -> Result {
        guard (0...1).contains(q) else { throw .invalidInput("The sampling rate must be in [0, 1], not \(q)") }
        guard sigma >= 0, sigma.isFinite else { throw .invalidInput("The noise multiplier must be ≥ 0, not \(sigma)") }
        guard steps >= 0 else { throw .invalidInput("The number of steps must be ≥ 0, not \(steps)") }
        guard delta > 0, delta < 1 else { throw .invalidInput("δ must be in (0, 1), not \(delta)") }
        guard !orders.isEmpty, orders.allSatisfy({ $0 > 1 }) else { throw .invalidInput("Rényi orders must be > 1") }
        let rdp = orders.map { Double(steps) * self.rdp(samplingRate: q, noiseMultiplier: sigma, order: $0) }
        return epsilon(rdp: rdp, orders: orders, delta: delta)
    }

    /// The RDP at order `order` of one step of the Poisson-subsampled Gaussian mechanism.
    public static func rdp(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if alpha.isInfinite || sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        return logA(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
    }

    /// The smallest ε over `orders` for a target δ, and the order reaching it.
    public static func epsilon(rdp: [Double], orders: [Double], delta: Double) -> Result {
        var best = Result(epsilon: .infinity, order: orders.first ?? 0)
        for (alpha, r) in zip(orders, rdp) {
            let eps: Double
            if r < 0 {
                eps = 0
            } else if delta * delta + expm1(-r) > 0 {
                eps = 0
            } else if alpha > 1.01 {
                eps = r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            } else {
                eps = .infinity
            }
            if eps < best.epsilon {
                best = Result(epsilon: eps, order: alpha)
            }
        }
        best.epsilon = max(0, best.epsilon)
        return best
    }

    static func logA(q: Double, sigma: Double, alpha: Double) -> Double {
        if alpha.rounded() == alpha { return logAInteger(q: q, sigma: sigma, alpha: Int(alpha)) }
        return logAFractional(q: q, sigma: sigma, alpha: alpha)
    }

    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q), log1mQ = log1p(-q)
        let a = Double(alpha)
        for i in 0...alpha {
            let k = Double(i)
            let logCoef = NormalDistribution.logBinomial(a, k) + k * logQ + (a - k) * log1mQ
            let s = logCoef + (k * k - k) / (2 * sigma * sigma)
            logA = NormalDistribution.logAdd(logA, s)
        }
        return logA
    }

    static let maxFractionalTerms = 1000

    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let logQ = log(q), log1mQ = log1p(-q)
        let root2Sigma = 2.0.squareRoot() * sigma
        var lastS0 = -Double.infinity, lastS1 = -Double.infinity
        for i in 0..<maxFractionalTerms {
            let k = Double(i)
            let logCoef = NormalDistribution.logBinomial(alpha, k)
            let j = alpha - k
            let logT0 = logCoef + k * logQ + j * log1mQ
            let logT1 = logCoef + j * logQ + k * log1mQ
            let logE0 = log(0.5) + NormalDistribution.logErfc((k - z0) / root2Sigma)
            let logE1 = log(0.5) + NormalDistribution.logErfc((z0 - j) / root2Sigma)
            let logS0 = logT0 + (k * k - k) / (2 * sigma * sigma) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1
            logA0 = NormalDistribution.logAdd(logA0, logS0)
            logA1 = NormalDistribution.logAdd(logA1, logS1)
            let total = NormalDistribution.logAdd(logA0, logA1)
            if logS0 < lastS0 && logS1 < lastS1 && max(logS0, logS1) < total - 30 { return total }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }
}
