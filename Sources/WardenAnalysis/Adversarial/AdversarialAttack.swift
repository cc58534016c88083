import Foundation
import WardenCore
import WardenTensor

/// Runs one attack over a labelled set in batches and measures it: clean and robust accuracy,
/// success rate, perturbation norms, queries and time.
public struct AdversarialAttack: Sendable {
    public let settings: AttackSettings
    /// Rows attacked together (one model call per step covers a batch).
    public var batchSize: Int

    /// - Throws: `.invalidInput` / `.unsupported` for bad settings (see ``AttackSettings/validate()``).
    public init(settings: AttackSettings, batchSize: Int = 256) throws {
        try settings.validate()
        guard batchSize > 0 else { throw WardenError.invalidInput("The batch size must be positive, got \(batchSize)") }
        self.settings = settings
        self.batchSize = batchSize
    }

    /// The adversarial rows and the report.
    public struct Outcome: Sendable {
        public var report: AttackReport
        public var adversarial: [Float]
        /// The model's prediction for each adversarial row.
        public var predictions: [Int]
    }

    /// Attacks every row of `features` (`labels.count × model.width` values, labels as class indices).
    /// - Parameter progress: called with the rows done so far.
    /// - Throws: `.invalidInput` for data that does not fit the model, a label that is not a class, a
    ///   NaN or a value outside the clip range (naming the row); `.unsupported` for a white-box attack
    ///   on a model without gradients.
    public func run(on model: some QueryableClassifier, features: [Float], labels: [Int], source: String = "the data", progress: (Int) -> Void = { _ in }) throws -> Outcome {
        try Self.check(features: features, labels: labels, model: model, settings: settings, source: source)
        let started = ContinuousClock.now
        let width = model.width
        var generator = SeededRandomGenerator(seed: settings.seed)
        var adversarial: [Float] = []
        adversarial.reserveCapacity(features.count)
        var queries: [Int] = []
        var clean: [Int] = []
        var start = 0
        while start < labels.count {
            let end = min(labels.count, start + batchSize)
            let x = Array(features[(start * width)..<(end * width)])
            let y = Array(labels[start..<end])
            clean += try model.predictions(x, rows: end - start)
            let batch = try attackBatch(model, x: x, labels: y, generator: &generator)
            adversarial += batch.adversarial
            queries += batch.queries
            start = end
            progress(end)
        }
        let predicted = try model.predictions(adversarial, rows: labels.count)
        let seconds = (ContinuousClock.now - started).seconds
        let distances = PerturbationMath.distances(adversarial, features, width: width)
        var l2: [Double] = [], linf: [Double] = [], attackedQueries: [Double] = []
        var correct = 0, robust = 0, fooled = 0
        for row in labels.indices {
            if predicted[row] == labels[row] { robust += 1 }
            guard clean[row] == labels[row] else { continue }
            correct += 1
            if !settings.kind.isWhiteBox { attackedQueries.append(Double(queries[row])) }
            guard predicted[row] != labels[row] else { continue }
            fooled += 1
            l2.append(Double(distances[row].l2))
            linf.append(Double(distances[row].linf))
        }
        let n = Double(max(labels.count, 1))
        let report = AttackReport(
            attack: settings.kind, norm: settings.norm, epsilon: settings.kind.isMinimumNorm ? nil : settings.epsilon.decimalDouble, n: labels.count,
            cleanAccuracy: Double(correct) / n, robustAccuracy: Double(robust) / n, successRate: correct > 0 ? Double(fooled) / Double(correct) : 0,
            medianL2: AttackReport.median(l2), medianLinf: AttackReport.median(linf),
            queriesMedian: settings.kind.isWhiteBox ? nil : AttackReport.median(attackedQueries), seconds: seconds)
        return Outcome(report: report, adversarial: adversarial, predictions: predicted)
    }

    func attackBatch(_ model: some QueryableClassifier, x: [Float], labels: [Int], generator: inout SeededRandomGenerator) throws -> AttackBatch {
        let none = [Int](repeating: 0, count: labels.count)
        switch settings.kind {
        case .hopskipjump: return try QueryAttacks.hopSkipJump(model, x: x, labels: labels, settings: settings, generator: &generator)
        case .square: return try QueryAttacks.square(model, x: x, labels: labels, settings: settings, generator: &generator)
        case .fgsm, .pgd, .cw, .deepfool:
            guard let differentiable = model as? any DifferentiableClassifier else {
                throw WardenError.unsupported("\(settings.kind.rawValue) needs input gradients, which this model does not give; use --attack hopskipjump or square")
            }
            return AttackBatch(adversarial: try whiteBox(differentiable, x: x, labels: labels, generator: &generator), queries: none)
        }
    }

    func whiteBox(_ model: some DifferentiableClassifier, x: [Float], labels: [Int], generator: inout SeededRandomGenerator) throws -> [Float] {
        switch settings.kind {
        case .cw: try GradientAttacks.carliniWagner(model, x: x, labels: labels, settings: settings)
        case .deepfool: try GradientAttacks.deepFool(model, x: x, settings: settings)
        default: try GradientAttacks.projectedGradient(model, x: x, labels: labels, settings: settings, generator: &generator)
        }
    }

    /// Rejects data the attack cannot use, naming the first bad row.
    static func check(features: [Float], labels: [Int], model: some QueryableClassifier, settings: AttackSettings, source: String) throws {
        let width = model.width
        guard features.count == labels.count * width else {
            throw WardenError.invalidInput("\(source) has \(labels.count == 0 ? 0 : features.count / max(labels.count, 1)) values per row; the model takes \(width)")
        }
        guard !labels.isEmpty else { throw WardenError.invalidInput("\(source) has no rows to attack") }
        for (row, label) in labels.enumerated() where label < 0 || label >= model.classCount {
            throw WardenError.invalidInput("\(source) row \(row + 1): label \(label) is out of range; the model has \(model.classCount) classes (0…\(model.classCount - 1))")
        }
        for (i, value) in features.enumerated() {
            guard value.isFinite else {
                throw WardenError.invalidInput("\(source) row \(i / width + 1): value \(value) in column \(i % width + 1); attacks need finite inputs")
            }
            guard value >= settings.clipLower, value <= settings.clipUpper else {
                throw WardenError.invalidInput(
                    "\(source) row \(i / width + 1): value \(value) in column \(i % width + 1) is outside the clip range \(settings.clipLower),\(settings.clipUpper); pass --clip LO,HI to match the data's scale")
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
