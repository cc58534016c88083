import Foundation
import WardenCore
import WardenTensor

/// Trains a classifier from a ``ModelSpec`` on a ``LabeledDataset`` with softmax cross-entropy:
/// seeded initialisation, shuffling and dropout, so the same data, settings and seed give the same
/// weights bit for bit on the same machine (whatever the thread count).
public final class Trainer {
    /// How to train.
    public struct Configuration: Sendable {
        public enum OptimizerKind: String, Sendable, CaseIterable {
            case adam, sgd
        }

        public var epochs: Int
        public var learningRate: Float
        public var batchSize: Int
        public var seed: UInt64
        public var optimizer: OptimizerKind
        /// SGD momentum (ignored by Adam).
        public var momentum: Float
        /// Per-batch hooks, applied in order (none: plain cross-entropy, the fast path).
        public var defences: [any TrainingDefence]

        public init(
            epochs: Int = 20, learningRate: Float = 1e-3, batchSize: Int = 32, seed: UInt64 = 0, optimizer: OptimizerKind = .adam, momentum: Float = 0.9,
            defences: [any TrainingDefence] = []
        ) {
            self.epochs = epochs
            self.learningRate = learningRate
            self.batchSize = batchSize
            self.seed = seed
            self.optimizer = optimizer
            self.momentum = momentum
            self.defences = defences
        }

        /// The product of the defences' training temperatures.
        var temperature: Float { defences.reduce(1) { $0 * $1.temperature } }

        /// - Throws: `.invalidInput` for a non-positive epoch count, batch size or learning rate.
        func validate() throws {
            guard epochs > 0, epochs <= 100_000 else { throw WardenError.invalidInput("Epochs must be in 1…100000, got \(epochs)") }
            guard batchSize > 0, batchSize <= 1 << 16 else { throw WardenError.invalidInput("Batch size must be in 1…65536, got \(batchSize)") }
            guard learningRate > 0, learningRate.isFinite else { throw WardenError.invalidInput("The learning rate must be positive, got \(learningRate)") }
            guard momentum >= 0, momentum < 1 else { throw WardenError.invalidInput("Momentum must be in 0..<1, got \(momentum)") }
        }
    }

    /// Progress within training, reported after every batch and at the end of every epoch.
    public struct Progress: Sendable {
        public var epoch: Int
        public var epochs: Int
        public var batch: Int
        public var batches: Int
        /// Mean loss and accuracy over the examples seen so far in this epoch.
        public var loss: Double
        public var accuracy: Double
        public var epochFinished: Bool
        public var seconds: Double
    }

    /// One finished epoch.
    public struct Epoch: Sendable, Codable {
        public var epoch: Int
        public var loss: Double
        /// Training accuracy, measured on the fly while the weights changed.
        public var accuracy: Double
        public var seconds: Double
    }

    public let spec: ModelSpec
    public let model: Sequential
    /// One example's shape: `[features]` or `[C, H, W]`.
    public let inputShape: [Int]
    public let classes: ClassLabels
    public let featureNames: [String]
    public let configuration: Configuration
    public private(set) var history: [Epoch] = []
    private var generator: SeededRandomGenerator

    /// Builds the model for the dataset's width and classes (weights drawn from the seed).
    /// - Throws: `.invalidInput` for bad settings or a spec that does not fit the data.
    public init(spec: ModelSpec, features: Int, classes: ClassLabels, featureNames: [String], configuration: Configuration) throws {
        try configuration.validate()
        self.spec = spec
        self.classes = classes
        self.featureNames = featureNames
        self.configuration = configuration
        generator = SeededRandomGenerator(seed: configuration.seed)
        (model, inputShape) = try spec.build(features: features, classes: classes.count, generator: &generator)
    }

    /// Runs every epoch over `data`, calling `progress` after each batch.
    /// - Returns: the epochs' losses and accuracies.
    /// - Throws: `.invalidInput` when the data does not fit the model or the loss becomes NaN or infinite.
    @discardableResult
    public func train(on data: LabeledDataset, progress: (Progress) -> Void = { _ in }) throws -> [Epoch] {
        guard data.features.shape[1] == inputShape.reduce(1, *) else {
            throw WardenError.invalidInput("'\(data.source)' has \(data.features.shape[1]) features; the model takes \(inputShape.reduce(1, *))")
        }
        let optimizer: any Optimizer = switch configuration.optimizer {
        case .adam: try Adam(learningRate: configuration.learningRate)
        case .sgd: try SGD(learningRate: configuration.learningRate, momentum: configuration.momentum)
        }
        let n = data.count, width = data.features.shape[1]
        let rows = data.features.scalars
        let batches = (n + configuration.batchSize - 1) / configuration.batchSize
        var order = Array(0..<n)
        var step: UInt64 = 0
        let parameters = model.parameters
        for epoch in 1...configuration.epochs {
            let started = Date()
            // Fisher–Yates with the seeded generator.
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            var totalLoss = 0.0, correct = 0, seen = 0
            for b in 0..<batches {
                let picks = order[(b * configuration.batchSize)..<Swift.min(n, (b + 1) * configuration.batchSize)]
                var values = [Float](repeating: 0, count: picks.count * width)
                var labels = [Int64](repeating: 0, count: picks.count)
                values.withUnsafeMutableBufferPointer { out in
                    rows.withUnsafeBufferPointer { source in
                        for (row, example) in picks.enumerated() {
                            (out.baseAddress! + row * width).update(from: source.baseAddress! + example * width, count: width)
                            labels[row] = data.labels[example]
                        }
                    }
                }
                step += 1
                let context = ForwardContext(training: true, seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 &+ step)
                let logits: Variable, loss: Variable
                if configuration.defences.isEmpty {
                    logits = try model.forward(Variable(try Tensor(shape: [picks.count] + inputShape, scalars: values)), context: context)
                    loss = try logits.softmaxCrossEntropy(labels: Tensor(labels))
                } else {
                    var batch = TrainingBatch(
                        inputs: values, labels: labels.map { Int($0) }, rows: Array(picks), width: width, classes: classes.count, epoch: epoch,
                        epochs: configuration.epochs)
                    (logits, loss) = try defendedLoss(&batch, step: step, context: context)
                    labels = batch.labels.map { Int64($0) }
                }
                let value = Double(loss.value.scalar ?? .nan)
                guard value.isFinite else {
                    throw WardenError.invalidInput("The loss became \(value) in epoch \(epoch), batch \(b + 1); lower the learning rate (--lr)")
                }
                try optimizer.update(parameters, gradients: context.gradients(of: loss, for: parameters))
                let predicted = try logits.value.argmax(axis: 1).scalars
                correct += zip(predicted, labels).filter { $0 == $1 }.count
                totalLoss += value * Double(labels.count)
                seen += labels.count
                progress(Progress(
                    epoch: epoch, epochs: configuration.epochs, batch: b + 1, batches: batches, loss: totalLoss / Double(seen),
                    accuracy: Double(correct) / Double(seen), epochFinished: false, seconds: Date().timeIntervalSince(started)))
            }
            let summary = Epoch(epoch: epoch, loss: totalLoss / Double(Swift.max(seen, 1)), accuracy: Double(correct) / Double(Swift.max(seen, 1)), seconds: Date().timeIntervalSince(started))
            history.append(summary)
            progress(Progress(
                epoch: epoch, epochs: configuration.epochs, batch: batches, batches: batches, loss: summary.loss, accuracy: summary.accuracy,
                epochFinished: true, seconds: summary.seconds))
        }
        return history
    }

    /// One defended step's forward pass and loss: the defences prepare the batch (with a generator
    /// drawn from the seed and step), then weight the per-example losses at the training temperature.
    private func defendedLoss(_ batch: inout TrainingBatch, step: UInt64, context: ForwardContext) throws -> (logits: Variable, loss: Variable) {
        var generator = SeededRandomGenerator(seed: (configuration.seed ^ 0xD5FE_0CE5_0000_0000) &+ step &* 0x9E37_79B9_7F4A_7C15)
        let view = TrainingModel(model: model, inputShape: inputShape, classes: classes.count)
        for defence in configuration.defences { try defence.prepare(&batch, model: view, generator: &generator) }
        let n = batch.count, width = inputShape.reduce(1, *)
        guard n > 0, batch.inputs.count == n * width, batch.rows.count == n, batch.targets.map({ $0.count == n * classes.count }) ?? true,
            batch.weights.map({ $0.count == n }) ?? true, batch.labels.allSatisfy({ (0..<classes.count).contains($0) })
        else {
            throw WardenError.internalError("A training defence left an inconsistent batch (\(n) labels, \(batch.inputs.count) input values)")
        }
        let logits = try model.forward(Variable(try Tensor(shape: [n] + inputShape, scalars: batch.inputs)), context: context)
        let targets = try Tensor(shape: [n, classes.count], scalars: batch.targetProbabilities())
        let temperature = configuration.temperature
        let losses = try logits.value.softmaxCrossEntropyPerRow(targets: targets, temperature: temperature)
        var weights = batch.weights ?? [Float](repeating: 1, count: n)
        for defence in configuration.defences {
            guard let factors = defence.weights(forLosses: losses, batch: batch) else { continue }
            guard factors.count == n else { throw WardenError.internalError("The defence \(defence.description) gave \(factors.count) weights for \(n) examples") }
            for i in 0..<n { weights[i] *= factors[i] }
        }
        return (logits, try logits.softmaxCrossEntropy(targets: targets, weights: weights, temperature: temperature))
    }

    /// The model mid-training as defences (and distillation teachers) see it.
    public var trainingModel: TrainingModel { TrainingModel(model: model, inputShape: inputShape, classes: classes.count) }

    /// The fraction of `data` the model classifies correctly (inference mode, in batches).
    /// - Throws: `.invalidInput` when the data does not fit the model.
    public func accuracy(on data: LabeledDataset, batchSize: Int = 1024) throws -> Double {
        guard data.count > 0 else { return 0 }
        var correct = 0
        var start = 0
        while start < data.count {
            let end = Swift.min(data.count, start + batchSize)
            let x = try data.features.sliced(axis: 0, start: start, end: end).reshaped(to: [end - start] + inputShape)
            let predicted = try model(x).argmax(axis: 1).scalars
            correct += zip(predicted, data.labels[start..<end]).filter { $0 == $1 }.count
            start = end
        }
        return Double(correct) / Double(data.count)
    }

    /// The trained model as ONNX, with metadata recording the classes, feature columns and training run.
    /// - Throws: as ``ONNXExporter/export(_:inputShape:metadata:producerVersion:)``.
    public func exportONNX(label: String, producerVersion: String = "") throws -> [UInt8] {
        let metadata: [(String, String)] = [
            (ModelMetadataKey.classes, JSONValue.array(classes.names.map { .string($0) }).compactString),
            (ModelMetadataKey.features, JSONValue.array(featureNames.map { .string($0) }).compactString),
            (ModelMetadataKey.label, label),
            (ModelMetadataKey.spec, spec.description),
            (ModelMetadataKey.training, JSONValue.object([
                ("epochs", .int(Int64(configuration.epochs))), ("learning_rate", .double(Double(configuration.learningRate))),
                ("batch_size", .int(Int64(configuration.batchSize))), ("seed", .int(Int64(bitPattern: configuration.seed))),
                ("optimizer", .string(configuration.optimizer.rawValue)),
            ] + (configuration.defences.isEmpty ? [] : [("defences", .array(configuration.defences.map { .string($0.description) }))])).compactString),
        ]
        return try ONNXExporter.export(model, inputShape: inputShape, metadata: metadata, producerVersion: producerVersion)
    }
}

@available(*, unavailable)
extension Trainer: Sendable {}

/// The `metadata_props` keys Warden writes into the models it trains, and reads back to predict.
public enum ModelMetadataKey {
    /// A JSON array of class names, by output index.
    public static let classes = "warden.classes"
    /// A JSON array of the feature columns, in input order.
    public static let features = "warden.features"
    public static let label = "warden.label"
    public static let spec = "warden.model"
    /// A JSON object of the training settings.
    public static let training = "warden.training"
}
