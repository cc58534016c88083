import Foundation
import WardenCore
import WardenTensor

/// A suite of attacks over a range of budgets, optionally with randomized-smoothing certification,
/// run against one or more models on the same labelled rows: the work behind `warden robustness
/// report`. Budget attacks (FGSM, PGD, Square) run at every ε (ε = 0 is the clean model and runs no
/// attack); minimum-norm attacks (C&W, DeepFool, HopSkipJump) run once and give accuracy vs L2
/// radius from the norms they needed.
public struct RobustnessSuite: Sendable {
    public var attacks: [AttackSettings.Kind]
    public var epsilons: [Float]
    /// Radii of the L2 curves (minimum-norm attacks and certification).
    public var radii: [Double]
    /// Everything but the kind and ε of each attack (clip range, seed, steps, …). Its `steps`
    /// override applies to PGD only; `squareQueries` to Square.
    public var template: AttackSettings
    public var squareQueries: Int?
    public var smoothing: RandomizedSmoothing?
    public var batchSize: Int

    /// - Throws: `.invalidInput` for no attacks, an attack named twice, an ε that is negative, not a
    ///   number or wider than the clip range, a negative radius.
    public init(
        attacks: [AttackSettings.Kind], epsilons: [Float], radii: [Double] = [0, 0.25, 0.5, 0.75, 1, 1.5, 2], template: AttackSettings,
        squareQueries: Int? = nil, smoothing: RandomizedSmoothing? = nil, batchSize: Int = 256
    ) throws {
        guard !attacks.isEmpty else { throw WardenError.invalidInput("The suite needs at least one attack, e.g. fgsm,pgd") }
        if let twice = attacks.first(where: { a in attacks.filter { $0 == a }.count > 1 }) {
            throw WardenError.invalidInput("The attack \(twice.rawValue) is listed twice")
        }
        if attacks.contains(where: { !$0.isMinimumNorm }), epsilons.isEmpty {
            throw WardenError.invalidInput("The budget attacks need at least one ε, e.g. 0,0.05,0.1")
        }
        let span = template.clipUpper - template.clipLower
        for eps in epsilons {
            guard eps.isFinite, eps >= 0, eps <= span else {
                throw WardenError.invalidInput(
                    "ε \(eps) is outside 0…\(span), the width of the clip range \(template.clipLower),\(template.clipUpper); give budgets on the data's scale")
            }
        }
        for radius in radii where !(radius.isFinite && radius >= 0) {
            throw WardenError.invalidInput("A radius must be a number ≥ 0, got \(radius)")
        }
        if let squareQueries, !(1...1_000_000).contains(squareQueries) {
            throw WardenError.invalidInput("Square queries must be in 1…1000000, got \(squareQueries)")
        }
        self.attacks = attacks
        self.epsilons = epsilons
        self.radii = radii
        self.template = template
        self.squareQueries = squareQueries
        self.smoothing = smoothing
        self.batchSize = batchSize
        for kind in attacks { try settings(kind, epsilon: epsilons.first(where: { $0 > 0 }) ?? 0.1).validate() }
    }

    /// The settings of one attack at one budget.
    public func settings(_ kind: AttackSettings.Kind, epsilon: Float) -> AttackSettings {
        var settings = template
        settings.kind = kind
        settings.norm = kind.isMinimumNorm ? .l2 : .inf
        settings.epsilon = epsilon
        settings.steps = switch kind {
        case .pgd: template.steps
        case .square: squareQueries
        default: nil
        }
        if kind == .pgd { settings.randomStart = true }
        return settings
    }

    /// A named model to evaluate.
    public struct Subject {
        public var name: String
        public var model: any QueryableClassifier

        public init(name: String, model: any QueryableClassifier) {
            self.name = name
            self.model = model
        }
    }

    /// Runs every attack (and certification) on every model.
    /// - Parameter progress: the stage (`model: attack ε=…`), rows done and rows in the stage.
    /// - Throws: `.invalidInput` for data that does not fit a model (or models that differ in width
    ///   or classes); `.unsupported` for a white-box attack on a model without gradients.
    public func run(
        _ subjects: [Subject], features: [Float], labels: [Int], data: String, progress: (String, Int, Int) -> Void = { _, _, _ in }
    ) throws -> RobustnessReport {
        guard let first = subjects.first else { throw WardenError.invalidInput("The suite needs a model") }
        for other in subjects.dropFirst() where other.model.width != first.model.width || other.model.classCount != first.model.classCount {
            throw WardenError.invalidInput(
                "'\(other.name)' takes \(other.model.width) values and gives \(other.model.classCount) classes; '\(first.name)' takes \(first.model.width) and gives \(first.model.classCount): compare models of the same task")
        }
        let started = ContinuousClock.now
        var results: [RobustnessReport.ModelResult] = []
        for subject in subjects {
            results.append(try evaluate(subject, features: features, labels: labels, data: data, progress: progress))
        }
        return RobustnessReport(
            data: data, n: labels.count, clip: [Double(template.clipLower), Double(template.clipUpper)], epsilons: epsilons.map(\.decimalDouble),
            radii: radii, models: results, comparisons: results.dropFirst().map { RobustnessReport.compare($0, with: results[0]) },
            seconds: (ContinuousClock.now - started).seconds)
    }

    func evaluate(
        _ subject: Subject, features: [Float], labels: [Int], data: String, progress: (String, Int, Int) -> Void
    ) throws -> RobustnessReport.ModelResult {
        let started = ContinuousClock.now
        let model = subject.model
        try AdversarialAttack.check(features: features, labels: labels, model: model, settings: template, source: data)
        let clean = try model.predictions(features, rows: labels.count)
        let cleanAccuracy = Double(zip(clean, labels).filter { $0 == $1 }.count) / Double(labels.count)
        var curves: [RobustnessReport.Curve] = []
        var minimumNorm: [RobustnessReport.MinimumNorm] = []
        for kind in attacks {
            if kind.isMinimumNorm {
                let outcome = try attack(subject, kind: kind, epsilon: 0, features: features, labels: labels, data: data, progress: progress)
                minimumNorm.append(RobustnessReport.MinimumNorm(
                    report: outcome.report, curve: l2Curve(outcome, features: features, labels: labels, clean: clean, width: model.width)))
                continue
            }
            var points: [AttackReport] = []
            for eps in epsilons {
                guard eps > 0 else {
                    points.append(AttackReport(
                        attack: kind, norm: .inf, epsilon: 0, n: labels.count, cleanAccuracy: cleanAccuracy, robustAccuracy: cleanAccuracy, successRate: 0,
                        medianL2: nil, medianLinf: nil, queriesMedian: kind.isWhiteBox ? nil : 0, seconds: 0))
                    continue
                }
                points.append(try attack(subject, kind: kind, epsilon: eps, features: features, labels: labels, data: data, progress: progress).report)
            }
            curves.append(RobustnessReport.Curve(attack: kind, norm: .inf, points: points))
        }
        var certification: RobustnessReport.Certification?
        if let smoothing {
            let stage = "\(subject.name): certify σ=\(smoothing.sigma)"
            let report = try CertificationReport.certify(
                smoothing, model: model, features: features, labels: labels, radii: radii.map { "\($0)" }, source: data
            ) { progress(stage, $0, labels.count) }
            certification = RobustnessReport.Certification(
                sigma: smoothing.sigma, samples: smoothing.n, alpha: smoothing.alpha, abstainRate: report.abstainRate, smoothedAccuracy: report.smoothedAccuracy,
                curve: radii.map { r in .init(radius: r, accuracy: Double(report.certificates.filter { $0.correct && $0.radius >= r }.count) / Double(labels.count)) },
                seconds: report.seconds)
        }
        return RobustnessReport.ModelResult(
            name: subject.name, cleanAccuracy: cleanAccuracy, curves: curves, minimumNorm: minimumNorm, certification: certification,
            seconds: (ContinuousClock.now - started).seconds)
    }

    func attack(
        _ subject: Subject, kind: AttackSettings.Kind, epsilon: Float, features: [Float], labels: [Int], data: String, progress: (String, Int, Int) -> Void
    ) throws -> AdversarialAttack.Outcome {
        let stage = "\(subject.name): \(kind.rawValue)" + (kind.isMinimumNorm ? "" : " ε=\(epsilon)")
        progress(stage, 0, labels.count)
        let runner = try AdversarialAttack(settings: settings(kind, epsilon: epsilon), batchSize: batchSize)
        return try runner.run(on: subject.model, features: features, labels: labels, source: data) { progress(stage, $0, labels.count) }
    }

    /// Accuracy at each L2 radius from a minimum-norm attack's examples: right on the clean row and
    /// either not fooled or fooled only beyond the radius.
    func l2Curve(_ outcome: AdversarialAttack.Outcome, features: [Float], labels: [Int], clean: [Int], width: Int) -> [RobustnessReport.RadiusPoint] {
        let distances = PerturbationMath.distances(outcome.adversarial, features, width: width)
        return radii.map { radius in
            let robust = labels.indices.filter { row in
                clean[row] == labels[row] && (outcome.predictions[row] == labels[row] || Double(distances[row].l2) > radius)
            }.count
            return RobustnessReport.RadiusPoint(radius: radius, accuracy: Double(robust) / Double(labels.count))
        }
    }
}
