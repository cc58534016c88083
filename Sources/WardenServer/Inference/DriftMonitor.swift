import Foundation
import Synchronization
import WardenCore
import WardenGuard
import WardenModels

/// The drift windows of the served models (`inference.drift`), built on first use of a model
/// version from its reference data (`inference.adversarial.references`, `--reference`): the
/// reference rows and the model's own predictions on them are the training reference. A model
/// without reference data is not watched. Exposes the latest evaluation per model in `/metrics`.
final class DriftMonitor: Sendable {
    let policy: DriftWindow.Policy
    let references: [String: InferenceConfiguration.Reference]
    private let windows = Mutex<[String: DriftWindow?]>([:])
    /// Latest evaluation by served model name and version (metrics).
    private let latest = Mutex<[String: DriftWindow.Status]>([:])

    init(policy: DriftWindow.Policy, references: [String: InferenceConfiguration.Reference]) {
        self.policy = policy
        self.references = references
    }

    /// The model version's window (nil: no reference data).
    /// - Throws: `WardenError` when the reference file cannot be read or does not fit the model.
    func window(for model: ServedModel) async throws -> DriftWindow? {
        let key = "\(model.name)/\(model.version)/\(model.digest)"
        if let known = windows.withLock({ $0[key] }) { return known }
        var built: DriftWindow?
        if let reference = references[model.name] {
            guard let input = model.schema.inputs.first, model.schema.inputs.count == 1, input.datatype == .fp32, let shape = input.shape, shape.count == 2,
                shape[1] > 0
            else {
                throw WardenError.invalidInput("Model '\(model.name)' does not take one FP32 [rows, features] input; drift monitoring needs one")
            }
            let dataset = try LabeledDataset(csv: reference.data, label: reference.label)
            let width = shape[1]
            guard dataset.features.shape.count == 2, dataset.features.shape[1] == width else {
                throw WardenError.invalidInput("'\(reference.data)' has \(dataset.features.shape.last ?? 0) features; model '\(model.name)' takes \(width)")
            }
            let rows = dataset.features.shape[0]
            let scores = try await AdversarialGuard.scores(model, dataset.features.scalars, count: rows)
            do {
                built = try DriftWindow(policy: policy, reference: dataset.features.scalars, width: width, predictions: scores.map(Self.argmax))
            } catch {
                throw WardenError.invalidInput("Model '\(model.name)': \(error.message)")
            }
        }
        windows.withLock { windows in
            if windows.count >= 64 { windows.removeAll() }
            windows[key] = built
        }
        return built
    }

    func record(_ status: DriftWindow.Status, model: ServedModel) {
        latest.withLock { latest in
            if latest.count >= 256 { latest.removeAll() }
            latest["\(model.name)\u{0}\(model.version)"] = status
        }
    }

    static func argmax(_ scores: [Float]) -> Int {
        var best = 0
        for (index, value) in scores.enumerated() where value > scores[best] { best = index }
        return best
    }

    /// `guard_drift_*` gauges of the latest evaluation per model and version: the largest feature
    /// PSI, the smallest adjusted KS p-value, the number of drifted features, the prediction PSI,
    /// and the PSI of each feature (at most 64 per model, so label sets stay bounded).
    func text() -> String {
        let snapshot = latest.withLock { $0 }.sorted { $0.key < $1.key }
        var out = ""
        let families: [(String, String, (DriftWindow.Status) -> Double)] = [
            ("guard_drift_max_psi", "Largest feature PSI of the latest drift window against the reference.", { $0.psi.max() ?? 0 }),
            ("guard_drift_min_ks_pvalue", "Smallest adjusted KS p-value of the latest drift window.", { $0.pValues.min() ?? 1 }),
            ("guard_drift_drifted_features", "Features drifted in the latest window.", { Double($0.drifted.count) }),
            ("guard_drift_prediction_psi", "PSI of the predicted classes in the latest window against the reference.", { $0.predictionPSI }),
        ]
        for (name, help, value) in families {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (key, status) in snapshot {
                let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                out += "\(name){model=\"\(InferenceMetrics.escape(parts[0]))\",version=\"\(InferenceMetrics.escape(parts.last ?? ""))\"} \(value(status))\n"
            }
        }
        out += "# HELP guard_drift_feature_psi PSI of each feature (first 64) in the latest window.\n# TYPE guard_drift_feature_psi gauge\n"
        for (key, status) in snapshot {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            for (feature, psi) in status.psi.prefix(64).enumerated() {
                out += "guard_drift_feature_psi{model=\"\(InferenceMetrics.escape(parts[0]))\",version=\"\(InferenceMetrics.escape(parts.last ?? ""))\",feature=\"\(feature)\"} \(psi)\n"
            }
        }
        return out
    }
}
