import Foundation
import Synchronization
import WardenCore
import WardenGuard
import WardenModels

/// The adversarial/OOD detectors of the served models, built on first use from each model's
/// reference data (`inference.adversarial.references`, `--reference NAME=CSV`) and kept per
/// model version. A model without reference data gets the low-confidence rule only.
final class AdversarialGuard: Sendable {
    let policy: AdversarialDetector.Policy
    let references: [String: InferenceConfiguration.Reference]
    private let detectors = Mutex<[String: AdversarialDetector?]>([:])

    init(policy: AdversarialDetector.Policy, references: [String: InferenceConfiguration.Reference]) {
        self.policy = policy
        self.references = references
    }

    /// The model's calibrated detector (nil: no reference data; the caller applies low confidence only).
    /// - Throws: `WardenError` naming the reference file when it cannot be read or does not fit the model.
    func detector(for model: ServedModel) async throws -> AdversarialDetector? {
        let key = "\(model.name)/\(model.version)/\(model.digest)"
        if let known = detectors.withLock({ $0[key] }) { return known }
        var built: AdversarialDetector?
        if let reference = references[model.name] {
            guard let input = model.schema.inputs.first, model.schema.inputs.count == 1, input.datatype == .fp32, let shape = input.shape, shape.count == 2,
                shape[1] > 0
            else {
                throw WardenError.invalidInput("Model '\(model.name)' does not take one FP32 [rows, features] input; adversarial detection needs one")
            }
            let dataset = try LabeledDataset(csv: reference.data, label: reference.label)
            let width = shape[1]
            guard dataset.features.shape.count == 2, dataset.features.shape[1] == width else {
                throw WardenError.invalidInput("'\(reference.data)' has \(dataset.features.shape.last ?? 0) features; model '\(model.name)' takes \(width)")
            }
            // An upstream model without squeezing: Mahalanobis and low confidence only (no extra calls).
            var policy = policy
            if !model.squeezes {
                policy.squeezeBits = nil
                policy.medianWindow = nil
            }
            built = try await AdversarialDetector(
                policy: policy, features: dataset.features.scalars, width: width, classes: dataset.labels.map(Int.init),
                predict: { rows, count in try await Self.scores(model, rows, count: count) })
        }
        detectors.withLock { detectors in
            if detectors.count >= 64 { detectors.removeAll() }
            detectors[key] = built
        }
        return built
    }

    /// The model's class scores for `count` rows (its first floating-point output), run in chunks.
    static func scores(_ model: ServedModel, _ rows: [Float], count: Int) async throws -> [[Float]] {
        guard count > 0, let input = model.schema.inputs.first else { return [] }
        let width = rows.count / count
        var out: [[Float]] = []
        out.reserveCapacity(count)
        var start = 0
        while start < count {
            let n = min(256, count - start)
            let tensor = InferenceTensor(name: input.name, shape: [n, width], values: .float(Array(rows[(start * width)..<((start + n) * width)])))
            let outputs = try await model.predict([tensor], outputs: nil)
            guard let scores = InferenceAPI.scoreTensor(outputs, rows: n) else {
                throw WardenError.invalidInput("Model '\(model.name)' has no floating-point class-score output; adversarial detection needs one")
            }
            out += scores.rows(n)
            start += n
        }
        return out
    }
}
