import WardenCore
import WardenModels
import WardenTensor

/// Gaussian noise augmentation: every training input value gets independent N(0, σ²) noise, drawn
/// from the trainer's seeded per-step generator (the noisy inputs are not clipped). It is the
/// training that randomized smoothing (`warden certify --sigma σ`) expects of its base classifier.
public struct GaussianNoiseAugmentation: TrainingDefence {
    public let sigma: Float

    /// - Throws: `.invalidInput` unless σ is a positive finite number no larger than 1000.
    public init(sigma: Float) throws {
        guard sigma.isFinite, sigma > 0, sigma <= 1000 else {
            throw WardenError.invalidInput("--noise takes a standard deviation σ in (0, 1000] (e.g. --noise 0.25), got \(sigma)")
        }
        self.sigma = sigma
    }

    /// Parses the value of `--noise`.
    public init(parsing text: String) throws {
        guard let value = Float(text) else { throw WardenError.invalidInput("--noise takes a number σ (e.g. --noise 0.25), got '\(text)'") }
        try self.init(sigma: value)
    }

    public var description: String { "noise:\(sigma)" }

    public func prepare(_ batch: inout TrainingBatch, model: TrainingModel, generator: inout SeededRandomGenerator) throws {
        for i in batch.inputs.indices { batch.inputs[i] += sigma * PerturbationMath.normal(&generator) }
    }
}
