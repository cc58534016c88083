import Foundation
import WardenCore

/// Computes a DP aggregate over numeric values clamped to public bounds, in one streaming pass.
///
/// Neighbouring datasets differ by adding or removing one row. Values are clamped to [lo, hi]
/// before they are added up, which is what bounds the sensitivity. Empty and non-numeric values
/// are missing: they are skipped, and how many there were is not reported (that number would be a
/// statistic released without noise).
///
/// The mean is released as mid + S̃/max(Ñ, 1), clamped to [lo, hi], where S̃ is the noisy sum of
/// (x − mid) (sensitivity (hi − lo)/2, centring halves it) and Ñ the noisy count, each with ε/2 and
/// δ/2 (basic composition). This is better than splitting a noisy sum by a true count, which is not
/// private, and simpler than smooth-sensitivity medians.
///
/// With δ = 0 the noise is Laplace (snapping); with δ > 0 it is Gaussian, analytically calibrated
/// unless `calibration` asks for the classic bound.
public struct DPAggregator: Sendable {
    public var statistic: DPStatistic
    public var epsilon: Double
    public var delta: Double
    public var lower: Double
    public var upper: Double
    public var bins: Int
    /// How Gaussian noise (δ > 0) is calibrated.
    public var calibration: GaussianMechanism.Calibration

    private(set) var count = 0
    private(set) var sum = 0.0
    private(set) var centredSum = 0.0
    private(set) var histogram: [Int] = []

    /// - Throws: ``WardenError`` (`invalidInput`) for ε ≤ 0, δ ∉ [0, 1), lo ≥ hi, bins < 1, or the
    ///   classic Gaussian calibration where a mechanism's ε is ≥ 1 (the mean spends ε/2 on each part).
    public init(
        statistic: DPStatistic, epsilon: Double, delta: Double = 0, lower: Double, upper: Double, bins: Int = 10,
        calibration: GaussianMechanism.Calibration = .analytic
    ) throws(WardenError) {
        guard epsilon.isFinite, epsilon > 0 else { throw .invalidInput("ε must be > 0, not \(epsilon)") }
        guard delta >= 0, delta < 1 else { throw .invalidInput("δ must be in [0, 1), not \(delta)") }
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw .invalidInput("The bounds must be finite with LO < HI, not \(lower),\(upper)")
        }
        guard (1...100_000).contains(bins) else { throw .invalidInput("The number of bins must be in 1…100000, not \(bins)") }
        self.statistic = statistic
        self.epsilon = epsilon
        self.delta = delta
        self.lower = lower
        self.upper = upper
        self.bins = bins
        self.calibration = calibration
        let partEpsilon = statistic == .mean ? epsilon / 2 : epsilon
        if delta > 0 && calibration == .classic && partEpsilon >= 1 {
            throw .invalidInput(
                "The classic Gaussian calibration holds only for ε < 1 per mechanism (this \(statistic.rawValue) gives each \(partEpsilon)); use the analytic calibration or a smaller ε")
        }
        histogram = statistic == .histogram ? [Int](repeating: 0, count: bins) : []
    }

    /// Adds one row's value (nil, empty or non-numeric: missing).
    public mutating func add(_ text: String?) {
        guard let text, let x = Double(text.trimmingCharacters(in: .whitespaces)), x.isFinite else { return }
        add(x)
    }

    /// Adds one numeric value.
    public mutating func add(_ x: Double) {
        guard x.isFinite else { return }
        let clamped = min(max(x, lower), upper)
        count += 1
        sum += clamped
        centredSum += clamped - (lower + upper) / 2
        if statistic == .histogram {
            let width = (upper - lower) / Double(bins)
            let index = min(bins - 1, max(0, Int(((clamped - lower) / width).rounded(.down))))
            histogram[index] += 1
        }
    }

    private func noise(epsilon: Double, delta: Double, sensitivity: Double) throws(WardenError) -> (
        scale: Double, release: (Double, inout any RandomNumberGenerator) -> Double
    ) {
        if delta == 0 {
            let m = try LaplaceMechanism(epsilon: epsilon, sensitivity: sensitivity)
            return (m.scale, { value, rng in m.release(value, using: &rng) })
        }
        let m = try GaussianMechanism(epsilon: epsilon, delta: delta, sensitivity: sensitivity, calibration: calibration)
        return (m.sigma, { value, rng in m.release(value, using: &rng) })
    }

    /// `laplace`, `gaussian` (analytic calibration) or `gaussian-classic`.
    public var mechanismName: String {
        delta == 0 ? "laplace" : calibration == .analytic ? "gaussian" : "gaussian-classic"
    }

    /// The noisy answer, drawing noise from `rng`.
    public func release(column: String, using rng: inout any RandomNumberGenerator) throws(WardenError) -> DPRelease {
        var result = DPRelease(
            statistic: statistic, column: column, epsilon: epsilon, delta: delta, mechanism: mechanismName,
            noiseScale: 0, bounds: [lower, upper], value: nil, bins: nil)
        switch statistic {
        case .count:
            let n = try noise(epsilon: epsilon, delta: delta, sensitivity: 1)
            result.noiseScale = n.scale
            result.value = n.release(Double(count), &rng)
        case .sum:
            let n = try noise(epsilon: epsilon, delta: delta, sensitivity: max(abs(lower), abs(upper)))
            result.noiseScale = n.scale
            result.value = n.release(sum, &rng)
        case .mean:
            let half = (upper - lower) / 2
            let sumNoise = try noise(epsilon: epsilon / 2, delta: delta / 2, sensitivity: half)
            let countNoise = try noise(epsilon: epsilon / 2, delta: delta / 2, sensitivity: 1)
            result.noiseScale = sumNoise.scale
            let noisySum = sumNoise.release(centredSum, &rng)
            let noisyCount = countNoise.release(Double(count), &rng)
            let mean = (lower + upper) / 2 + noisySum / max(noisyCount, 1)
            result.value = min(max(mean, lower), upper)
        case .histogram:
            let n = try noise(epsilon: epsilon, delta: delta, sensitivity: 1)
            result.noiseScale = n.scale
            let width = (upper - lower) / Double(bins)
            result.bins = histogram.enumerated().map { index, c in
                DPRelease.Bin(
                    low: lower + Double(index) * width, high: index == bins - 1 ? upper : lower + Double(index + 1) * width,
                    count: n.release(Double(c), &rng))
            }
        }
        return result
    }

    /// The noisy answer with noise from the system's secure generator.
    public func release(column: String) throws(WardenError) -> DPRelease {
        var rng: any RandomNumberGenerator = SystemRandomNumberGenerator()
        return try release(column: column, using: &rng)
    }
}
