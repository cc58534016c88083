import WardenCore
import WardenTensor

/// A per-batch hook into ``Trainer``: before each gradient step it may replace or augment the
/// batch's inputs (given the current model, e.g. adversarial examples or noise) and supply soft
/// targets (distillation); after the forward pass it may weight or drop each example's loss (a
/// trimmed loss). The defences themselves live above this module (WardenAnalysis/Defences); the
/// trainer only calls the hook. Every random draw comes from the generator the trainer passes,
/// derived from the training seed and step, so defended training is as reproducible as plain
/// training.
public protocol TrainingDefence: Sendable {
    /// A short description for the model's metadata and reports, e.g. `pgd:eps=0.1,steps=7,ratio=0.5`.
    var description: String { get }
    /// The temperature the training loss divides the logits by (distillation); 1 for most defences.
    var temperature: Float { get }
    /// Changes `batch` before the gradient step.
    func prepare(_ batch: inout TrainingBatch, model: TrainingModel, generator: inout SeededRandomGenerator) throws
    /// Weights of the examples' losses (`losses` at the training temperature, before weighting; 0
    /// drops an example), or `nil` to leave them unchanged.
    func weights(forLosses losses: [Float], batch: TrainingBatch) -> [Float]?
}

extension TrainingDefence {
    public var temperature: Float { 1 }
    public func prepare(_ batch: inout TrainingBatch, model: TrainingModel, generator: inout SeededRandomGenerator) throws {}
    public func weights(forLosses losses: [Float], batch: TrainingBatch) -> [Float]? { nil }
}

/// The examples of one gradient step, as a ``TrainingDefence`` sees and changes them.
public struct TrainingBatch: Sendable {
    /// `rows × width` input values, one example after another.
    public var inputs: [Float]
    /// Class index per example.
    public var labels: [Int]
    /// Probability targets, `rows × classes` (`nil`: one-hot labels).
    public var targets: [Float]?
    /// Per-example loss weights (`nil`: all 1); defences that weight losses multiply into them.
    public var weights: [Float]?
    /// The 0-based dataset row of each example (a defence that adds examples repeats their rows).
    public var rows: [Int]
    public let width: Int
    public let classes: Int
    /// 1-based epoch and the number of epochs, for schedules.
    public let epoch: Int
    public let epochs: Int

    public var count: Int { labels.count }

    public init(
        inputs: [Float], labels: [Int], targets: [Float]? = nil, weights: [Float]? = nil, rows: [Int], width: Int, classes: Int, epoch: Int, epochs: Int
    ) {
        self.inputs = inputs
        self.labels = labels
        self.targets = targets
        self.weights = weights
        self.rows = rows
        self.width = width
        self.classes = classes
        self.epoch = epoch
        self.epochs = epochs
    }

    /// The targets as `rows × classes` probabilities (one-hot where none were given).
    public func targetProbabilities() -> [Float] {
        if let targets { return targets }
        var oneHot = [Float](repeating: 0, count: count * classes)
        for (row, label) in labels.enumerated() { oneHot[row * classes + label] = 1 }
        return oneHot
    }
}

/// The model being trained, as a defence may use it mid-training: inference-mode logits and input
/// gradients (dropout off, batch normalisation on its running statistics, no weight gradients).
public struct TrainingModel {
    let model: Sequential
    /// One example's shape: `[features]` or `[C, H, W]`.
    public let inputShape: [Int]
    public let classes: Int

    public var width: Int { inputShape.reduce(1, *) }

    /// The logits of `rows` examples (`rows × classes` values).
    public func logits(_ x: [Float], rows: Int) throws -> [Float] {
        try model(try Tensor(shape: [rows] + inputShape, scalars: x)).scalars
    }

    /// The logits of `rows` examples and, for each seed `seeds(logits)` returns, the gradient of
    /// `sum(seed ⊙ logits)` with respect to the inputs.
    public func logitsAndGradients(_ x: [Float], rows: Int, seeds: ([Float]) throws -> [[Float]]) throws -> (logits: [Float], gradients: [[Float]]) {
        let input = Variable(try Tensor(shape: [rows] + inputShape, scalars: x), requiresGradient: true)
        let output = try model.forward(input, context: ForwardContext(training: false, differentiatingParameters: false))
        let logits = output.value.scalars
        let gradients = try seeds(logits).map { seed in
            try output.gradient(withRespectTo: input, seed: Tensor(shape: output.shape, scalars: seed)).scalars
        }
        return (logits, gradients)
    }
}

@available(*, unavailable)
extension TrainingModel: Sendable {}
