import Foundation
import WardenCore

/// Privacy-loss-distribution accounting for the Poisson-subsampled Gaussian mechanism (DP-SGD),
/// tighter than RDP (Koskela, Jälkö, Honkela 2020; Meiser & Mohammadi 2018; the approach of
/// dp-accounting's `PLDAccountant`).
///
/// For one step with sampling rate q and noise σ (sensitivity 1), under add/remove-one neighbours,
/// there are two directions, each a pair (P, Q) of output distributions:
/// - remove: P = (1−q)·N(0, σ²) + q·N(1, σ²), Q = N(0, σ²);
/// - add: P = N(0, σ²), Q = the mixture.
///
/// The privacy loss ℓ(x) = log P(x)/Q(x) is monotone in x, so the exact δ(ε) of one step is known in
/// closed form through Φ. It is discretised **pessimistically** on the grid εᵢ = i·h (h = 10⁻⁴) by
/// connecting the dots (see ``distribution(q:sigma:remove:)``), over the losses of x within 10σ (the
/// rest goes to +∞); so every δ computed is an upper bound.
/// Steps compose by convolution (FFT, by repeated squaring), truncating after each product the tails
/// with mass below 10⁻¹³ in the same pessimistic way (adding at most ≈ 10⁻¹¹ to δ). δ(ε) = p∞ + Σ_{ℓᵢ>ε} pᵢ(1 − e^(ε−ℓᵢ)); ε(δ) is
/// solved exactly between grid points; the result is the larger ε of the two directions.
public enum PLDAccountant {
    /// The grid spacing of privacy loss values.
    public static let discretization = 1e-4
    static let truncation = 1e-13
    static let tailSigmas = 10.0

    /// A discrete privacy loss distribution: masses at losses (lowest + i)·h, and mass at +∞.
    struct Distribution {
        var lowest: Int
        var pmf: [Double]
        var infinity: Double

        func composed(with other: Distribution) -> Distribution {
            var out = Distribution(
                lowest: lowest + other.lowest, pmf: FFTConvolution.convolve(pmf, other.pmf),
                infinity: 1 - (1 - infinity) * (1 - other.infinity))
            out.truncate()
            return out
        }

        /// Moves negligible tails pessimistically: the low tail up onto the first kept loss, the
        /// high tail to +∞.
        mutating func truncate() {
            var low = 0, lowMass = 0.0
            while low < pmf.count - 1 && lowMass + pmf[low] <= PLDAccountant.truncation {
                lowMass += pmf[low]
                low += 1
            }
            var high = pmf.count - 1, highMass = 0.0
            while high > low && highMass + pmf[high] <= PLDAccountant.truncation {
                highMass += pmf[high]
                high -= 1
            }
            guard low > 0 || high < pmf.count - 1 else { return }
            var kept = Array(pmf[low...high])
            kept[0] += lowMass
            pmf = kept
            lowest += low
            infinity += highMass
        }

        func selfComposed(_ times: Int) -> Distribution {
            var result: Distribution?
            var base = self
            var n = times
            while n > 0 {
                if n & 1 == 1 { result = result.map { $0.composed(with: base) } ?? base }
                n >>= 1
                if n > 0 { base = base.composed(with: base) }
            }
            return result ?? Distribution(lowest: 0, pmf: [1], infinity: 0)
        }

        /// The smallest ε ≥ 0 with δ(ε) ≤ delta (∞ when the mass at +∞ exceeds delta).
        func epsilon(delta: Double) -> Double {
            let h = PLDAccountant.discretization
            guard infinity <= delta else { return .infinity }
            // Scan from the highest loss down, keeping A = Σ pᵢ and log B = log Σ pᵢe^(−ℓᵢ) over ℓᵢ > ε
            // (B in log space: e^(−ℓ) underflows beyond ℓ ≈ 745).
            var a = 0.0, logB = -Double.infinity
            for i in stride(from: pmf.count - 1, through: 0, by: -1) {
                let loss = Double(lowest + i) * h
                guard pmf[i] > 0 else { continue }
                a += pmf[i]
                logB = NormalDistribution.logAdd(logB, log(pmf[i]) - loss)
                let lowerLoss = i > 0 ? Double(lowest + i - 1) * h : -Double.infinity
                // On (lowerLoss, loss]: δ(ε) = p∞ + A − e^ε·B.
                let excess = infinity + a - delta
                if excess <= 0 { continue }
                let eps = log(excess) - logB
                if eps >= lowerLoss { return max(0, eps) }
            }
            return 0
        }
    }

    /// ε of `steps` steps of the Poisson-subsampled Gaussian mechanism for a target δ.
    /// - Throws: ``WardenError`` (`invalidInput`) for parameters out of range.
    public static func epsilon(samplingRate q: Double, noiseMultiplier sigma: Double, steps: Int, delta: Double)
        throws(WardenError) -> Double
    {
        guard (0...1).contains(q) else { throw .invalidInput("The sampling rate must be in [0, 1], not \(q)") }
        guard sigma > 0, sigma.isFinite else { throw .invalidInput("The PLD accountant needs a noise multiplier > 0, not \(sigma)") }
        guard steps >= 0 else { throw .invalidInput("The number of steps must be ≥ 0, not \(steps)") }
        guard delta > 0, delta < 1 else { throw .invalidInput("δ must be in (0, 1), not \(delta)") }
        if q == 0 || steps == 0 { return 0 }
        let remove = distribution(q: q, sigma: sigma, remove: true).selfComposed(steps)
        let add = distribution(q: q, sigma: sigma, remove: false).selfComposed(steps)
        return max(remove.epsilon(delta: delta), add.epsilon(delta: delta))
    }

    /// x where the remove-direction loss equals L: σ²·log((e^L − (1−q))/q) + ½ (nil below log(1−q)).
    static func point(forLoss loss: Double, q: Double, sigma: Double) -> Double? {
        let numerator = expm1(loss) + q
        guard numerator > 0 else { return nil }
        return sigma * sigma * (log(numerator) - log(q)) + 0.5
    }

    /// The remove-direction loss at x: log(1 − q + q·e^((2x−1)/2σ²)).
    static func removeLoss(_ x: Double, q: Double, sigma: Double) -> Double {
        let exponent = (2 * x - 1) / (2 * sigma * sigma)
        if q == 1 { return exponent }
        return NormalDistribution.logAdd(log1p(-q), log(q) + exponent)
    }

    /// The exact hockey-stick divergence δ(ε) = P(ℓ > ε) − e^ε·Q(ℓ > ε) of one step in one direction,
    /// in the cancellation-free forms (with c = (2x−1)/2σ² at the boundary point x):
    /// remove: q·[Φ((1−x)/σ) − e^c·Φ(−x/σ)]; add: q·[e^c·Φ(x/σ) − Φ((x−1)/σ)] / (1 − q + q·e^c),
    /// each difference taken as e^A·(−expm1(B − A)) with logs of Φ accurate far into the tails.
    static func hockeyStick(_ epsilon: Double, q: Double, sigma: Double, remove: Bool) -> Double {
        if remove {
            // ℓ > ε ⇔ x > x(ε); below log(1−q) every x qualifies.
            guard let x = point(forLoss: epsilon, q: q, sigma: sigma) else { return max(0, -expm1(epsilon)) }
            let c = (2 * x - 1) / (2 * sigma * sigma)
            let a = NormalDistribution.logCDF((1 - x) / sigma)
            let b = c + NormalDistribution.logCDF(-x / sigma)
            return max(0, q * exp(a) * -expm1(b - a))
        }
        // add: ℓ = −removeLoss(x) > ε ⇔ x < x(−ε); none when −ε ≤ log(1−q).
        guard let x = point(forLoss: -epsilon, q: q, sigma: sigma) else { return 0 }
        let c = (2 * x - 1) / (2 * sigma * sigma)
        let a = c + NormalDistribution.logCDF(x / sigma)
        let b = NormalDistribution.logCDF((x - 1) / sigma)
        let denominator = exp(-epsilon)  // = 1 − q + q·e^c by the choice of x
        return max(0, q * exp(a) * -expm1(b - a) / denominator)
    }

    /// The discrete PLD of one step by "connecting the dots" (Doroshenko et al. 2022): with t = e^ε
    /// the true δ is convex in t, so the piecewise-linear interpolation of the exact δ(εᵢ) at the
    /// grid points is an upper bound; the discrete distribution whose δ is that interpolation puts
    /// pᵢ = tᵢ·(sᵢ₊₁ − sᵢ) at εᵢ (s: the slopes between consecutive points, from δ = 1 at t = 0) and
    /// δ(ε_last) at +∞. Pessimistic like rounding losses up, without its bias of h/2 per step.
    static func distribution(q: Double, sigma: Double, remove: Bool) -> Distribution {
        let h = discretization
        let z = tailSigmas * sigma
        let (lowLoss, highLoss): (Double, Double) =
            remove
            ? (removeLoss(-z, q: q, sigma: sigma), removeLoss(1 + z, q: q, sigma: sigma))
            : (-removeLoss(z, q: q, sigma: sigma), -removeLoss(-z, q: q, sigma: sigma))
        let first = Int((lowLoss / h).rounded(.down))
        let last = max(first + 1, Int((highLoss / h).rounded(.up)))
        let count = last - first + 1
        var deltas = [Double](repeating: 0, count: count)
        var ts = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let eps = Double(first + i) * h
            deltas[i] = hockeyStick(eps, q: q, sigma: sigma, remove: remove)
            ts[i] = exp(eps)
        }
        // Slopes: s[0] from (t=0, δ=1) to the first point; s[count] = 0 after the last one.
        var slopes = [Double](repeating: 0, count: count + 1)
        slopes[0] = (deltas[0] - 1) / ts[0]
        for i in 1..<count { slopes[i] = (deltas[i] - deltas[i - 1]) / (ts[i] - ts[i - 1]) }
        var pmf = [Double](repeating: 0, count: count)
        for i in 0..<count { pmf[i] = max(0, ts[i] * (slopes[i + 1] - slopes[i])) }
        var d = Distribution(lowest: first, pmf: pmf, infinity: deltas[count - 1])
        d.truncate()
        return d
    }
}
