import Foundation
import WardenCore
import WardenTensor

/// Randomized smoothing (Cohen, Rosenfeld, Kolter 2019): the smoothed classifier predicts the class the
/// base model gives most often under Gaussian noise N(0, σ²I), and is certifiably robust within the L2
/// radius σ·Φ⁻¹(p_A), where p_A is a Clopper–Pearson lower bound on the top class's probability.
/// `CERTIFY`: select the class with `n0` noisy samples, estimate with `n` fresh ones, abstain when
/// p_A ≤ ½.
public struct RandomizedSmoothing: Sendable {
    public var sigma: Double
    /// Selection samples.
    public var n0: Int
    /// Estimation samples.
    public var n: Int
    /// The certificate fails with probability at most `alpha`.
    public var alpha: Double
    /// Noisy copies sent to the model per call.
    public var batchSize: Int
    public var seed: UInt64

    /// - Throws: `.invalidInput` for σ ≤ 0, sample counts below 1 or above 10⁷, α outside (0, 1).
    public init(sigma: Double, n0: Int = 100, n: Int = 1000, alpha: Double = 0.001, batchSize: Int = 1000, seed: UInt64 = 0) throws {
        guard sigma.isFinite, sigma > 0 else { throw WardenError.invalidInput("σ must be a positive number, got \(sigma)") }
        guard n0 >= 1, n0 <= 10_000_000, n >= 1, n <= 10_000_000 else {
            throw WardenError.invalidInput("Sample counts must be in 1…10000000, got n0 \(n0), n \(n)")
        }
        guard alpha > 0, alpha < 1 else { throw WardenError.invalidInput("α must be in (0, 1), got \(alpha)") }
        guard batchSize >= 1 else { throw WardenError.invalidInput("The batch size must be positive, got \(batchSize)") }
        self.sigma = sigma
        self.n0 = n0
        self.n = n
        self.alpha = alpha
        self.batchSize = batchSize
        self.seed = seed
    }

    /// The certificate of one input.
    public struct Certificate: Sendable, Codable, Equatable {
        /// The smoothed prediction, `nil` when abstaining.
        public var prediction: Int?
        /// The certified L2 radius (0 when abstaining).
        public var radius: Double
        /// The lower bound on the top class's probability.
        public var pALower: Double
        /// Estimation samples voting for the selected class.
        public var count: Int

        enum CodingKeys: String, CodingKey {
            case prediction, radius, count
            case pALower = "p_a_lower"
        }
    }

    /// The certificate for one row of `model.width` values.
    /// - Throws: as the model's `scores`.
    public func certify(_ x: ArraySlice<Float>, model: some QueryableClassifier, generator: inout SeededRandomGenerator) throws -> Certificate {
        let selection = try counts(x, samples: n0, model: model, generator: &generator)
        let top = selection.indices.max { selection[$0] < selection[$1] || (selection[$0] == selection[$1] && $0 > $1) }!
        let estimation = try counts(x, samples: n, model: model, generator: &generator)
        return certificate(topClass: top, count: estimation[top])
    }

    /// The certificate given the selected class and its count among the `n` estimation samples.
    public func certificate(topClass: Int, count: Int) -> Certificate {
        let pA = ConfidenceBounds.clopperPearsonLower(successes: count, trials: n, alpha: alpha)
        guard pA > 0.5 else { return Certificate(prediction: nil, radius: 0, pALower: pA, count: count) }
        return Certificate(prediction: topClass, radius: sigma * ConfidenceBounds.normalQuantile(pA), pALower: pA, count: count)
    }

    /// How often the base model predicts each class on `samples` noisy copies of `x`.
    func counts(_ x: ArraySlice<Float>, samples: Int, model: some QueryableClassifier, generator: inout SeededRandomGenerator) throws -> [Int] {
        var counts = [Int](repeating: 0, count: model.classCount)
        let width = x.count
        var remaining = samples
        let sigma = Float(self.sigma)
        while remaining > 0 {
            let rows = min(remaining, batchSize)
            var noisy = [Float](repeating: 0, count: rows * width)
            for r in 0..<rows {
                for (j, value) in x.enumerated() { noisy[r * width + j] = value + sigma * PerturbationMath.normal(&generator) }
            }
            for predicted in try model.predictions(noisy, rows: rows) { counts[predicted] += 1 }
            remaining -= rows
        }
        return counts
    }
}
