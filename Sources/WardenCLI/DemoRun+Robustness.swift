import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

extension DemoRun {
    /// The robustness stage: the trained demo model attacked as `warden robustness report` does
    /// (FGSM and PGD over ε, DeepFool, randomized smoothing) on 100 held-out rows; prints the robust
    /// accuracy and writes the report as JSON and self-contained HTML.
    static func attackModel(root: String, artefacts: inout [(String, String)]) throws -> String {
        let folder = root + "/training"
        let classifier = try ONNXClassifier(model: try ONNXModel(contentsOf: folder + "/model.onnx"))
        let predictor = classifier.predictor
        let held = try LabeledDataset(csv: folder + "/test.csv", label: "label", classes: predictor.classes, features: predictor.featureNames)
        let rows = min(held.count, 100)
        var template = AttackSettings(kind: .pgd)
        // The generated features lie within ±1.9.
        (template.clipLower, template.clipUpper) = (-2, 2)
        template.steps = 20
        let suite = try RobustnessSuite(
            attacks: [.fgsm, .pgd, .deepfool], epsilons: [0, 0.25, 0.5, 1], radii: [0, 0.25, 0.5, 1, 1.5], template: template,
            smoothing: try RandomizedSmoothing(sigma: 0.5, n0: 50, n: 200, alpha: 0.01))
        let report = try suite.run(
            [.init(name: "model.onnx", model: classifier)], features: Array(held.features.scalars.prefix(rows * classifier.width)),
            labels: held.labels.prefix(rows).map(Int.init), data: "test.csv")
        let result = report.models[0]
        guard let pgd = result.curves.first(where: { $0.attack == .pgd })?.points.last, pgd.robustAccuracy < result.cleanAccuracy else {
            throw WardenError.internalError("PGD did not lower the demo model's accuracy")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileIO.writeAtomically(Array(try encoder.encode(report)), to: folder + "/robustness.json")
        try FileIO.writeAtomically(RobustnessHTML.render(report), to: folder + "/robustness.html")
        artefacts.append(("robustness (HTML)", folder + "/robustness.html"))
        let certified = result.certification?.curve.first { $0.radius == 0.5 }?.accuracy ?? 0
        return String(format: "attacked %d held-out rows: clean accuracy %.1f%%, PGD (ε=%g, L∞) robust accuracy %.1f%%, DeepFool median L2 %@, certified accuracy at r=0.5 %.1f%%",
                      rows, result.cleanAccuracy * 100, pgd.epsilon ?? 0, pgd.robustAccuracy * 100,
                      result.minimumNorm.first?.report.medianL2.map { String(format: "%.3f", $0) } ?? "-", certified * 100)
    }
}
