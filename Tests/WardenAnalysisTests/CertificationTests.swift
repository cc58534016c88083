import Foundation
import Testing
import WardenCore
import WardenTensor

@testable import WardenAnalysis

/// Reference values from scipy 1.17.1: `scipy.stats.norm.ppf(p)` and `scipy.stats.beta.ppf(alpha, k, n - k + 1)`.
struct CertificationTests {
    @Test(arguments: [
        (0.5, 0.0), (0.6, 0.2533471031357997), (0.9, 1.2815515655446004), (0.975, 1.959963984540054), (0.999, 3.090232306167813),
        (0.99999, 4.264890793923841), (1e-05, -4.264890793922825), (0.02425, -1.972961051311885), (0.3, -0.5244005127080409),
    ])
    func normalQuantileMatchesSciPy(_ p: Double, _ expected: Double) {
        #expect(abs(ConfidenceBounds.normalQuantile(p) - expected) < 1e-12, "Φ⁻¹(\(p)) = \(ConfidenceBounds.normalQuantile(p))")
    }

    @Test(arguments: [
        (990, 1000, 0.001, 0.9760361871553114), (500, 1000, 0.001, 0.45077105398478234), (1000, 1000, 0.001, 0.9931160484209338),
        (1, 1000, 0.001, 1.0004998330832417e-06), (75, 100, 0.05, 0.6686784462543383), (0, 100, 0.05, 0.0),
        (9999, 10000, 0.001, 0.9990770386693395),
    ])
    func clopperPearsonMatchesSciPy(_ k: Int, _ n: Int, _ alpha: Double, _ expected: Double) {
        let bound = ConfidenceBounds.clopperPearsonLower(successes: k, trials: n, alpha: alpha)
        #expect(abs(bound - expected) < 1e-10 * max(1, expected / 1e-6), "CP(\(k), \(n), \(alpha)) = \(bound)")
    }

    @Test func radiusMatchesAHandComputedValue() throws {
        // 990 of 1000 votes, α = 0.001: p_A = beta.ppf(0.001, 990, 11); radius = 0.5·norm.ppf(p_A).
        let smoothing = try RandomizedSmoothing(sigma: 0.5, n: 1000, alpha: 0.001)
        let certificate = smoothing.certificate(topClass: 2, count: 990)
        #expect(certificate.prediction == 2)
        #expect(abs(certificate.radius - 0.9890047910705997) < 1e-9)
        let all = try RandomizedSmoothing(sigma: 0.25, n: 1000, alpha: 0.001).certificate(topClass: 0, count: 1000)
        #expect(abs(all.radius - 0.6158156536952029) < 1e-9)
        // 500 of 1000: p_A ≈ 0.451 ≤ ½, so the smoothed classifier abstains.
        let split = smoothing.certificate(topClass: 1, count: 500)
        #expect(split.prediction == nil && split.radius == 0)
    }

    /// For a linear classifier the smoothed classifier is the base one and Cohen's radius tends to
    /// the distance to the decision boundary from below.
    @Test func linearRadiiAreSoundAndTight() throws {
        let model = LinearQueryClassifier(weights: [[1, 0], [-1, 0]], bias: [0, 0])   // class 0 iff x₀ > 0
        let smoothing = try RandomizedSmoothing(sigma: 0.5, n0: 100, n: 20000, alpha: 0.001, seed: 5)
        var g = SeededRandomGenerator(seed: 1)
        for distance in [0.1, 0.3, 0.6] {
            let certificate = try smoothing.certify([Float(distance / 2), 0.7][...], model: model, generator: &g)
            // The boundary x₀ = 0 is at distance x₀ = distance / 2 from the point.
            let truth = distance / 2
            #expect(certificate.prediction == 0)
            #expect(certificate.radius <= truth, "radius \(certificate.radius) > distance \(truth)")
            #expect(certificate.radius >= truth * 0.6, "radius \(certificate.radius) far below \(truth)")
        }
    }

    @Test func certifiedAccuracyFallsWithTheRadius() throws {
        let model = try AdversarialFixtures.classifier()
        let (features, labels) = AdversarialFixtures.test
        let smoothing = try RandomizedSmoothing(sigma: 0.25, n0: 20, n: 200, alpha: 0.01, batchSize: 200, seed: 9)
        let rows = 20
        let report = try CertificationReport.certify(
            smoothing, model: model, features: Array(features.prefix(rows * 16)), labels: Array(labels.prefix(rows)), radii: ["0", "0.1", "0.25", "0.5", "2"])
        let values = ["0", "0.1", "0.25", "0.5", "2"].map { report.certifiedAccuracy[$0]! }
        #expect(values == values.sorted(by: >))
        #expect(values[0] <= report.smoothedAccuracy && values[0] > 0.5)
        #expect(values[4] == 0, "a radius of 2 cannot be certified with 200 samples at σ 0.25")
        #expect(report.n == rows && report.certificates.count == rows)
        let again = try CertificationReport.certify(
            smoothing, model: model, features: Array(features.prefix(rows * 16)), labels: Array(labels.prefix(rows)), radii: ["0.25"])
        #expect(again.certificates == report.certificates)
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["certified_accuracy"] as? [String: Double])?["0.25"] != nil && object["abstain_rate"] != nil && object["n"] != nil)
    }

    @Test func refusesBadSettingsAndData() throws {
        #expect(throws: WardenError.self) { _ = try RandomizedSmoothing(sigma: 0) }
        #expect(throws: WardenError.self) { _ = try RandomizedSmoothing(sigma: .nan) }
        #expect(throws: WardenError.self) { _ = try RandomizedSmoothing(sigma: 0.25, n: 0) }
        #expect(throws: WardenError.self) { _ = try RandomizedSmoothing(sigma: 0.25, alpha: 1) }
        let model = LinearQueryClassifier(weights: [[1, 0], [-1, 0]], bias: [0, 0])
        let smoothing = try RandomizedSmoothing(sigma: 0.25, n0: 5, n: 5)
        for (features, labels, radii, expected) in [
            ([Float(0.1), 0.2], [0], ["x"], "radius"), ([0.1, 0.2], [0], ["-1"], "radius"), ([0.1], [0], ["0.5"], "values per row"),
            ([0.1, .nan], [0], ["0.5"], "finite"), ([0.1, 0.2], [5], ["0.5"], "out of range"),
        ] as [([Float], [Int], [String], String)] {
            #expect {
                _ = try CertificationReport.certify(smoothing, model: model, features: features, labels: labels, radii: radii)
            } throws: { "\($0)".contains(expected) }
        }
    }
}
