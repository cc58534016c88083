import Foundation
import Testing
import WardenCore
import WardenTensor

@testable import WardenAnalysis

/// The robustness suite on the trained fixture: one curve per budget attack with ε = 0 as the clean
/// model, minimum-norm and certification curves that fall with the radius, comparisons, the JSON
/// schema, and bad input refused with a message.
struct RobustnessSuiteTests {
    static func suite(_ attacks: [AttackSettings.Kind], epsilons: [Float] = [0, 0.05, 0.2], smoothing: RandomizedSmoothing? = nil) throws -> RobustnessSuite {
        var template = AttackSettings(kind: .pgd)
        template.steps = 10
        template.seed = 4
        return try RobustnessSuite(attacks: attacks, epsilons: epsilons, radii: [0, 0.25, 0.5, 1, 2], template: template, squareQueries: 100, smoothing: smoothing)
    }

    static let rows = 30

    static func data() -> (features: [Float], labels: [Int]) {
        let (features, labels) = AdversarialFixtures.test
        return (Array(features.prefix(rows * AdversarialFixtures.width)), Array(labels.prefix(rows)))
    }

    @Test func curvesCertificationAndComparison() throws {
        let model = try AdversarialFixtures.classifier()
        let (features, labels) = Self.data()
        let smoothing = try RandomizedSmoothing(sigma: 0.25, n0: 20, n: 100, alpha: 0.01, seed: 1)
        let suite = try Self.suite([.fgsm, .pgd, .square, .deepfool], smoothing: smoothing)
        var stages = Set<String>()
        let report = try suite.run(
            [.init(name: "a.onnx", model: model), .init(name: "b.onnx", model: model)], features: features, labels: labels, data: "blobs"
        ) { stage, _, _ in stages.insert(stage) }
        #expect(report.schema == "warden.robustness-report/1" && report.n == Self.rows && report.epsilons == [0, 0.05, 0.2])
        #expect(stages.contains("a.onnx: pgd ε=0.2") && stages.contains("b.onnx: deepfool") && stages.contains("a.onnx: certify σ=0.25"))
        let first = report.models[0]
        #expect(first.cleanAccuracy > 0.9)
        #expect(first.curves.map(\.attack) == [.fgsm, .pgd, .square])
        for curve in first.curves {
            #expect(curve.points.map(\.epsilon) == [0, 0.05, 0.2])
            #expect(curve.points[0].robustAccuracy == first.cleanAccuracy && curve.points[0].seconds == 0)
            #expect(curve.points[2].robustAccuracy < first.cleanAccuracy, "\(curve.attack) did not lower the accuracy at ε = 0.2")
        }
        let pgd = first.curves[1].points, fgsm = first.curves[0].points
        #expect(pgd[2].robustAccuracy <= fgsm[2].robustAccuracy)
        #expect(first.curves[2].points[1].queriesMedian != nil && pgd[1].queriesMedian == nil)
        let deepfool = try #require(first.minimumNorm.first)
        #expect(deepfool.report.attack == .deepfool && deepfool.curve.map(\.radius) == [0, 0.25, 0.5, 1, 2])
        #expect(deepfool.curve[0].accuracy == first.cleanAccuracy)
        #expect(zip(deepfool.curve, deepfool.curve.dropFirst()).allSatisfy { $0.accuracy >= $1.accuracy })
        #expect(deepfool.curve.last!.accuracy < first.cleanAccuracy)
        let certification = try #require(first.certification)
        #expect(zip(certification.curve, certification.curve.dropFirst()).allSatisfy { $0.accuracy >= $1.accuracy })
        #expect(certification.curve[0].accuracy > 0.5 && certification.curve.last!.accuracy == 0, "σ = 0.25 cannot certify r = 2")
        // The same model twice, same seeds: no change anywhere.
        let comparison = try #require(report.comparisons.first)
        #expect(comparison.model == "b.onnx" && comparison.base == "a.onnx" && comparison.cleanAccuracyChange == 0)
        #expect(comparison.robustAccuracyChange.count == 9 && comparison.robustAccuracyChange.allSatisfy { $0.change == 0 })

        let json = try JSONParser().parse(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        #expect(json["schema"]?.stringValue == "warden.robustness-report/1")
        let point = json["models"]?.item(0)?["curves"]?.item(1)?["points"]?.item(2)
        for key in ["attack", "epsilon", "clean_accuracy", "robust_accuracy", "success_rate", "median_l2", "median_linf", "queries_median", "n", "seconds"] {
            #expect(point?[key] != nil, "missing \(key)")
        }
        #expect(point?["epsilon"]?.doubleValue == 0.2)
        #expect(json["models"]?.item(0)?["minimum_norm"]?.item(0)?["curve"]?.item(1)?["radius"]?.doubleValue == 0.25)
        #expect(json["models"]?.item(0)?["certification"]?["abstain_rate"] != nil)
        #expect(json["comparisons"]?.item(0)?["robust_accuracy_change"]?.item(0)?["change"]?.doubleValue == 0)
        #expect(try JSONDecoder().decode(RobustnessReport.self, from: try JSONEncoder().encode(report)) == report)
    }

    @Test(arguments: [
        ([AttackSettings.Kind.fgsm], [Float(-0.1)], "outside 0…1"),
        ([.fgsm], [2], "outside 0…1"),
        ([.fgsm], [.nan], "outside 0…1"),
        ([], [0.1], "at least one attack"),
        ([.pgd, .pgd], [0.1], "listed twice"),
        ([.pgd], [], "at least one ε"),
    ])
    func refusesBadSuites(_ attacks: [AttackSettings.Kind], _ epsilons: [Float], _ expected: String) {
        #expect { _ = try Self.suite(attacks, epsilons: epsilons) } throws: { "\($0)".contains(expected) }
    }

    @Test func refusesBadDataAndModelsWithoutGradients() throws {
        let model = try AdversarialFixtures.classifier()
        let (features, labels) = Self.data()
        let suite = try Self.suite([.pgd])
        #expect {
            _ = try suite.run([.init(name: "m", model: model)], features: features, labels: [7] + labels.dropFirst(), data: "blobs")
        } throws: { "\($0)".contains("blobs row 1: label 7 is out of range") }
        let linear = LinearQueryClassifier(weights: [[Float]](repeating: [Float](repeating: 0.1, count: 16), count: 3), bias: [0, 0, 0])
        #expect {
            _ = try suite.run([.init(name: "lin", model: linear)], features: features, labels: labels, data: "blobs")
        } throws: { "\($0)".contains("use --attack hopskipjump or square") }
        let narrow = LinearQueryClassifier(weights: [[1, 0], [0, 1]], bias: [0, 0])
        #expect {
            _ = try suite.run([.init(name: "m", model: model), .init(name: "narrow", model: narrow)], features: features, labels: labels, data: "blobs")
        } throws: { "\($0)".contains("same task") }
    }
}

extension JSONValue {
    /// The array element at `index`, `nil` when this is not an array or too short.
    func item(_ index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
