import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenData

/// Calibration formulas, the analytic Gaussian against dp-accounting, and the statistical sanity
/// of the noise (seeded generators: tests only).
struct PrivacyMechanismTests {
    @Test func classicGaussianFormula() throws {
        let m = try GaussianMechanism(epsilon: 0.5, delta: 1e-5, sensitivity: 2, calibration: .classic)
        #expect(abs(m.sigma - 2 * (2 * log(1.25e5)).squareRoot() / 0.5) < 1e-12)
        #expect(abs(m.sigma - 19.379221050421556) < 1e-9)
        #expect(throws: WardenError.invalidInput("")) {
            try GaussianMechanism(epsilon: 1.5, delta: 1e-5, sensitivity: 1, calibration: .classic)
        }
    }

    /// σ from dp-accounting 0.6.0 `gaussian_mechanism.get_sigma_gaussian(ε, δ)` (the analytic
    /// Gaussian of Balle & Wang 2018), printed in the interop venv:
    /// `.build-interop/venv/bin/python -c "from dp_accounting import gaussian_mechanism as g; print(g.get_sigma_gaussian(1.0, 1e-5))"`.
    static let analytic: [(epsilon: Double, delta: Double, sigma: Double)] = [
        (1.0, 1e-5, 3.7306316348159374),
        (0.5, 1e-5, 7.0318266755825),
        (2.0, 1e-6, 2.2304762711864172),
        (8.0, 1e-5, 0.6002290721989517),
        (0.1, 1e-3, 17.40439620303121),
    ]

    @Test func analyticGaussianMatchesDPAccounting() throws {
        for point in Self.analytic {
            let m = try GaussianMechanism(epsilon: point.epsilon, delta: point.delta, sensitivity: 1)
            #expect(abs(m.sigma / point.sigma - 1) < 1e-6, "ε=\(point.epsilon) δ=\(point.delta): \(m.sigma) vs \(point.sigma)")
            // Exact δ at the calibrated σ, and never more noise than the classic bound.
            #expect(abs(GaussianMechanism.delta(sigma: m.sigma, epsilon: point.epsilon, sensitivity: 1) / point.delta - 1) < 1e-6)
            if point.epsilon < 1 {
                #expect(m.sigma < GaussianMechanism.classicSigma(epsilon: point.epsilon, delta: point.delta, sensitivity: 1))
            }
        }
        // σ scales linearly with the sensitivity.
        let scaled = try GaussianMechanism(epsilon: 1, delta: 1e-5, sensitivity: 3)
        #expect(abs(scaled.sigma / (3 * 3.7306316348159374) - 1) < 1e-6)
    }

    @Test func laplaceScaleIsSensitivityOverEpsilonPlusTheSnappingMargin() throws {
        let m = try LaplaceMechanism(epsilon: 0.5, sensitivity: 10)
        #expect(abs(m.scale / 20 - 1) < 1e-4)
        #expect(m.scale > 20)
    }

    @Test func laplaceNoiseHasTheRightSpreadAndIsSnapped() throws {
        var rng = SeededGenerator(seed: 42)
        let m = try LaplaceMechanism(epsilon: 1, sensitivity: 1)
        let n = 40_000
        var sum = 0.0, sumAbs = 0.0
        for _ in 0..<n {
            let x = m.release(100, using: &rng)
            #expect(x == x.rounded())
            sum += x - 100
            sumAbs += abs(x - 100)
        }
        // E|X| = b for Laplace(b); rounding to the grid Λ = 2 moves it by up to Λ/4 or so.
        #expect(abs(sum / Double(n)) < 0.05)
        #expect(abs(sumAbs / Double(n) - m.scale) < 0.3)
        // Snapping: outputs are multiples of Λ = 2 (smallest power of two ≥ λ).
        var rng2 = SeededGenerator(seed: 1)
        for _ in 0..<1000 {
            let x = m.release(0.3, using: &rng2)
            #expect(x.truncatingRemainder(dividingBy: 2) == 0)
        }
    }

    @Test func gaussianNoiseHasTheRightStandardDeviation() throws {
        var rng = SeededGenerator(seed: 7)
        let m = try GaussianMechanism(epsilon: 1, delta: 1e-5, sensitivity: 1)
        let n = 40_000
        var sum = 0.0, squares = 0.0
        for _ in 0..<n {
            let x = m.release(0, using: &rng)
            sum += x
            squares += x * x
        }
        let mean = sum / Double(n)
        let sd = (squares / Double(n) - mean * mean).squareRoot()
        #expect(abs(mean) < 4 * m.sigma / Double(n).squareRoot())
        #expect(abs(sd / m.sigma - 1) < 0.02)
    }

    @Test func uniformsCoverTheUnitIntervalWithoutEndpoints() {
        var rng = SeededGenerator(seed: 3)
        var below = 0
        for _ in 0..<100_000 {
            let u = NoiseSampler.uniform(using: &rng)
            #expect(u > 0 && u < 1)
            if u < 0.25 { below += 1 }
        }
        #expect(abs(Double(below) / 100_000 - 0.25) < 0.01)
    }

    @Test func aggregatesClampAndAddNoise() throws {
        var agg = try DPAggregator(statistic: .mean, epsilon: 1000, delta: 0, lower: 0, upper: 100)
        for x in ["10", "20", "30", "1000", "-5", "", "n/a"] { agg.add(x) }
        var rng: any RandomNumberGenerator = SeededGenerator(seed: 9)
        let mean = try agg.release(column: "x", using: &rng)
        // Clamped values: 10, 20, 30, 100, 0 → mean 32; ε = 1000 leaves little noise.
        #expect(abs(mean.value! - 32) < 1)
        var hist = try DPAggregator(statistic: .histogram, epsilon: 1000, lower: 0, upper: 10, bins: 5)
        for x in [0.0, 1.9, 2.0, 9.99, 10, 55] { hist.add(x) }
        let bins = try hist.release(column: "x", using: &rng).bins!
        #expect(bins.map { ($0.count).rounded() } == [2, 1, 0, 0, 3])
        #expect(bins.last!.high == 10)
        var count = try DPAggregator(statistic: .count, epsilon: 1000, delta: 1e-6, lower: 0, upper: 1)
        for _ in 0..<50 { count.add(1) }
        let c = try count.release(column: "x", using: &rng)
        #expect(c.mechanism == "gaussian")
        #expect(abs(c.value! - 50) < 1)
    }

    @Test func badParametersAreRejected() {
        #expect(throws: WardenError.invalidInput("")) { try LaplaceMechanism(epsilon: 0, sensitivity: 1) }
        #expect(throws: WardenError.invalidInput("")) { try GaussianMechanism(epsilon: 1, delta: 0, sensitivity: 1) }
        #expect(throws: WardenError.invalidInput("")) { try DPAggregator(statistic: .sum, epsilon: 1, lower: 5, upper: 5) }
    }
}
