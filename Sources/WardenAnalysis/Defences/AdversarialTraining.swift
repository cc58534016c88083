import WardenCore
import WardenModels
import WardenTensor

/// PGD adversarial training (Madry et al. 2018), mixed with clean examples (as Goodfellow et al.
/// 2015 mix FGSM ones): at every step the first `ratio` of the (shuffled) batch is replaced by PGD
/// examples against the current model — random start in the ε-ball, `steps` steps of the attack
/// `warden attack --attack pgd` runs, clipped to the valid input range — and the rest stays clean.
public struct AdversarialTraining: TrainingDefence {
    public let attack: AttackSettings
    /// The share of each batch replaced by adversarial examples, in (0, 1].
    public let ratio: Double

    /// - Throws: `.invalidInput` for an attack setting out of range (see ``AttackSettings/validate()``)
    ///   or a ratio outside (0, 1].
    public init(epsilon: Float, steps: Int = 10, ratio: Double = 0.5, norm: AttackSettings.Norm = .inf, clipLower: Float = 0, clipUpper: Float = 1) throws {
        var settings = AttackSettings(kind: .pgd)
        settings.epsilon = epsilon
        settings.steps = steps
        settings.norm = norm
        settings.randomStart = true
        settings.clipLower = clipLower
        settings.clipUpper = clipUpper
        guard steps <= 1000 else { throw WardenError.invalidInput("PGD training steps must be in 1…1000, got \(steps)") }
        try settings.validate()
        guard ratio.isFinite, ratio > 0, ratio <= 1 else { throw WardenError.invalidInput("The adversarial ratio must be in (0, 1], got \(ratio)") }
        attack = settings
        self.ratio = ratio
    }

    /// Parses `pgd:eps=E[,steps=N][,ratio=R][,norm=inf|2]`.
    /// - Throws: `.invalidInput` naming the bad part and the expected form.
    public init(parsing text: String, clipLower: Float = 0, clipUpper: Float = 1) throws {
        let form = "pgd:eps=E[,steps=N][,ratio=R][,norm=inf|2] (e.g. pgd:eps=0.1,steps=10)"
        guard text.hasPrefix("pgd:") else { throw WardenError.invalidInput("--adversarial takes \(form), got '\(text)'") }
        var epsilon: Float?, steps = 10, ratio = 0.5, norm = AttackSettings.Norm.inf
        var seen: Set<Substring> = []
        for part in text.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, seen.insert(pair[0]).inserted else { throw WardenError.invalidInput("--adversarial: '\(part)' is not a new key=value; use \(form)") }
            let value = String(pair[1])
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let parsed = T(value) else { throw WardenError.invalidInput("--adversarial: \(pair[0]) must be a number, got '\(value)'") }
                return parsed
            }
            switch pair[0] {
            case "eps": epsilon = try number(Float.self)
            case "steps": steps = try number(Int.self)
            case "ratio": ratio = try number(Double.self)
            case "norm":
                guard let parsed = AttackSettings.Norm(rawValue: value) else { throw WardenError.invalidInput("--adversarial: norm must be inf or 2, got '\(value)'") }
                norm = parsed
            default: throw WardenError.invalidInput("--adversarial: unknown key '\(pair[0])'; use \(form)")
            }
        }
        guard let epsilon else { throw WardenError.invalidInput("--adversarial needs eps=E; use \(form)") }
        try self.init(epsilon: epsilon, steps: steps, ratio: ratio, norm: norm, clipLower: clipLower, clipUpper: clipUpper)
    }

    public var description: String {
        "pgd:eps=\(attack.epsilon),steps=\(attack.effectiveSteps),ratio=\(ratio)" + (attack.norm == .inf ? "" : ",norm=2")
    }

    /// Checks that the training inputs lie in the clip range, so that clean and adversarial examples
    /// come from the same domain.
    /// - Throws: `.invalidInput` naming the first row with a value outside it.
    public func checkRange(of data: LabeledDataset) throws {
        let width = data.features.shape[1]
        let values = data.features.scalars
        if let bad = values.firstIndex(where: { !($0 >= attack.clipLower && $0 <= attack.clipUpper) }) {
            throw WardenError.invalidInput(
                "'\(data.source)' row \(bad / width + 1) has \(values[bad]) in column \(data.featureNames[bad % width]), outside the clip range \(attack.clipLower),\(attack.clipUpper); rescale the data or pass --clip LO,HI")
        }
    }

    public func prepare(_ batch: inout TrainingBatch, model: TrainingModel, generator: inout SeededRandomGenerator) throws {
        let count = Swift.min(batch.count, Swift.max(1, Int((ratio * Double(batch.count)).rounded())))
        let width = batch.width
        let clean = Array(batch.inputs[0..<(count * width)])
        let adversarial = try GradientAttacks.projectedGradient(
            TrainingModelClassifier(model: model), x: clean, labels: Array(batch.labels[0..<count]), settings: attack, generator: &generator)
        batch.inputs.replaceSubrange(0..<(count * width), with: adversarial)
    }
}

/// The model mid-training as the attacks see it.
// @unchecked: it lives for one synchronous attack inside one training step and never crosses threads.
struct TrainingModelClassifier: DifferentiableClassifier, @unchecked Sendable {
    let model: TrainingModel

    var width: Int { model.width }
    var classCount: Int { model.classes }
    var exampleShape: [Int] { model.inputShape }

    func scores(_ x: [Float], rows: Int) throws -> [Float] { try model.logits(x, rows: rows) }

    func scoresAndGradients(_ x: [Float], rows: Int, seeds: ([Float]) throws -> [[Float]]) throws -> (scores: [Float], gradients: [[Float]]) {
        let result = try model.logitsAndGradients(x, rows: rows, seeds: seeds)
        return (result.logits, result.gradients)
    }
}
