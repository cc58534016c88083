import Foundation
import Testing
import WardenCore
import WardenTensor

@testable import WardenAnalysis

struct AdversarialAttackTests {
    func run(_ settings: AttackSettings, limit: Int = 60) throws -> AdversarialAttack.Outcome {
        let model = try AdversarialFixtures.classifier()
        let (features, labels) = AdversarialFixtures.test
        return try AdversarialAttack(settings: settings, batchSize: 32).run(
            on: model, features: Array(features.prefix(limit * AdversarialFixtures.width)), labels: Array(labels.prefix(limit)))
    }

    func settings(_ kind: AttackSettings.Kind, eps: Float = 0.1, norm: AttackSettings.Norm? = nil, steps: Int? = nil) -> AttackSettings {
        var s = AttackSettings(kind: kind)
        s.epsilon = eps
        if let norm { s.norm = norm }
        s.steps = steps
        return s
    }

    func losses(_ x: [Float], labels: [Int]) throws -> [Float] {
        let model = try AdversarialFixtures.classifier()
        let scores = try model.scores(x, rows: labels.count)
        return ClassScores.crossEntropySeed(scores, labels: labels, classes: model.classCount).losses
    }

    @Test func theFixtureIsAccurate() throws {
        let model = try AdversarialFixtures.classifier()
        #expect(model.classCount == 3 && model.width == 16 && !model.outputIsProbability)
        let outcome = try run(settings(.fgsm, eps: 0.001))
        #expect(outcome.report.cleanAccuracy > 0.9)
    }

    @Test func fgsmIncreasesTheLoss() throws {
        let (features, labels) = AdversarialFixtures.test
        let outcome = try run(settings(.fgsm, eps: 0.05))
        let before = try losses(features, labels: labels), after = try losses(outcome.adversarial, labels: labels)
        let raised = zip(before, after).filter { $1 > $0 }.count
        #expect(raised >= labels.count * 9 / 10, "\(raised) of \(labels.count)")
        #expect(after.reduce(0, +) > before.reduce(0, +) * 1.5)
    }

    @Test(arguments: [Float(0.05), 0.1, 0.2])
    func pgdIsAtLeastAsStrongAsFGSM(_ eps: Float) throws {
        let fgsm = try run(settings(.fgsm, eps: eps)).report
        var pgdSettings = settings(.pgd, eps: eps, steps: 20)
        pgdSettings.randomStart = true
        pgdSettings.restarts = 2
        let pgd = try run(pgdSettings).report
        #expect(pgd.robustAccuracy <= fgsm.robustAccuracy, "PGD \(pgd.robustAccuracy) vs FGSM \(fgsm.robustAccuracy) at ε \(eps)")
        #expect(eps < 0.1 || fgsm.robustAccuracy < fgsm.cleanAccuracy, "FGSM fooled nothing at ε \(eps)")
    }

    @Test(arguments: [(AttackSettings.Kind.fgsm, AttackSettings.Norm.inf), (.pgd, .inf), (.pgd, .l2), (.fgsm, .l2), (.square, .inf)])
    func perturbationsStayWithinEpsilonAndTheClipRange(_ kind: AttackSettings.Kind, _ norm: AttackSettings.Norm) throws {
        let eps: Float = norm == .inf ? 0.15 : 0.6
        var s = settings(kind, eps: eps, norm: norm, steps: kind == .square ? 200 : 10)
        s.randomStart = true
        let outcome = try run(s)
        let distances = PerturbationMath.distances(outcome.adversarial, AdversarialFixtures.test.features, width: AdversarialFixtures.width)
        for d in distances { #expect((norm == .inf ? d.linf : d.l2) <= eps * 1.0001) }
        #expect(outcome.adversarial.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(outcome.report.successRate > 0, "\(kind) \(norm) fooled nothing at ε \(eps)")
    }

    @Test func minimumNormAttacksFoolAlmostEverythingWithSmallPerturbations() throws {
        var cw = settings(.cw, steps: 50)
        cw.binarySearchSteps = 4
        cw.initialConstant = 1
        let cwReport = try run(cw, limit: 30).report
        let deepFool = try run(settings(.deepfool), limit: 30).report
        let pgd = try run(settings(.pgd, eps: 2, norm: .l2, steps: 20), limit: 30).report
        for report in [cwReport, deepFool] {
            #expect(report.successRate >= 0.9, "\(report.attack) success \(report.successRate)")
            #expect(report.epsilon == nil && report.queriesMedian == nil)
            // Minimum-norm attacks find smaller perturbations than a PGD run with a big budget.
            #expect(report.medianL2! < pgd.medianL2!, "\(report.attack) \(report.medianL2!) vs PGD \(pgd.medianL2!)")
        }
        #expect(cwReport.robustAccuracy == cwReport.cleanAccuracy * (1 - cwReport.successRate) || cwReport.robustAccuracy < 0.2)
    }

    @Test func blackBoxAttacksCountQueriesAndSucceed() throws {
        var hsj = settings(.hopskipjump, steps: 8)
        hsj.initialEvaluations = 20
        hsj.maximumEvaluations = 50
        let hsjReport = try run(hsj, limit: 20).report
        #expect(hsjReport.successRate >= 0.9)
        #expect(hsjReport.queriesMedian! > 20 && hsjReport.queriesMedian! < 2000)
        // ε 0.3: on a 4×4 image, squares never touch the last row and column (see QueryAttacks.square).
        let square = try run(settings(.square, eps: 0.3, steps: 300), limit: 20).report
        #expect(square.successRate >= 0.4, "square success \(square.successRate)")
        #expect(square.queriesMedian! >= 2 && square.queriesMedian! <= 302)
        #expect(square.medianLinf! <= 0.3 * 1.0001)
    }

    @Test func attacksAreDeterministicForASeed() throws {
        var s = settings(.pgd, eps: 0.1, steps: 5)
        s.randomStart = true
        s.seed = 42
        let a = try run(s), b = try run(s)
        #expect(a.adversarial == b.adversarial)
        s.seed = 43
        #expect(try run(s).adversarial != a.adversarial)
    }

    @Test func whiteBoxAttacksNeedGradients() throws {
        let model = LinearQueryClassifier(weights: [[1, 0], [0, 1]], bias: [0, 0])
        #expect {
            _ = try AdversarialAttack(settings: AttackSettings(kind: .pgd)).run(on: model, features: [0.2, 0.8], labels: [1])
        } throws: { "\($0)".contains("use --attack hopskipjump or square") }
        let square = try AdversarialAttack(settings: settings(.square, eps: 0.5, steps: 50)).run(on: model, features: [0.3, 0.7], labels: [1])
        #expect(square.predictions == [0])
    }

    static func badSettings(_ name: String) -> AttackSettings {
        var s = AttackSettings(kind: .pgd)
        switch name {
        case "negative ε": s.epsilon = -1
        case "NaN ε": s.epsilon = .nan
        case "ε beyond the clip range": s.epsilon = 2
        case "no steps": s.steps = 0
        case "negative step size": s.stepSize = -0.1
        case "no restarts": s.restarts = 0
        case "reversed clip range": (s.clipLower, s.clipUpper) = (1, 0)
        case "square in L2": (s.kind, s.norm) = (.square, .l2)
        case "cw in L∞": (s.kind, s.norm) = (.cw, .inf)
        default: break
        }
        return s
    }

    @Test(arguments: [
        ("negative ε", "positive"), ("NaN ε", "positive"), ("ε beyond the clip range", "larger than the clip range"), ("no steps", "Steps must be"),
        ("negative step size", "step size"), ("no restarts", "Restarts"), ("reversed clip range", "clip range"), ("square in L2", "--norm inf"),
        ("cw in L∞", "--norm 2"),
    ])
    func refusesBadSettings(_ name: String, _ expected: String) {
        #expect { _ = try AdversarialAttack(settings: Self.badSettings(name)) } throws: { "\($0)".contains(expected) }
    }

    @Test(arguments: [
        ([Float](repeating: 0.5, count: 15), [0], "values per row"),
        ([Float](repeating: 0.5, count: 16), [3], "out of range"),
        ([Float](repeating: 0.5, count: 15) + [.nan], [0], "finite"),
        ([Float](repeating: 0.5, count: 15) + [1.5], [0], "--clip"),
        ([], [], "no rows"),
    ])
    func refusesDataThatDoesNotFit(_ features: [Float], _ labels: [Int], _ expected: String) throws {
        let model = try AdversarialFixtures.classifier()
        #expect {
            _ = try AdversarialAttack(settings: AttackSettings(kind: .fgsm)).run(on: model, features: features, labels: labels)
        } throws: { "\($0)".contains(expected) }
    }

    @Test func theReportHasTheIssuesKeys() throws {
        let report = try run(settings(.fgsm), limit: 10).report
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["clean_accuracy", "robust_accuracy", "success_rate", "median_l2", "median_linf", "queries_median", "n", "seconds"] {
            #expect(object.keys.contains(key), "missing \(key)")
        }
        #expect(object["n"] as? Int == 10)
    }
}
