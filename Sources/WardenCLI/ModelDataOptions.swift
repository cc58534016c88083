import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

/// The model, data and input range the robustness commands share (`attack`, `certify`).
struct ModelDataOptions: ParsableArgumentsSendable {
    @Option(help: "The ONNX classifier.") var model: String?
    @Option(help: "A CSV file with a header.") var data: String
    @Option(help: "The label column.") var label: String
    @Option(help: "Use the first N rows only.") var limit: Int?
    @Option(help: "Seed for every random choice.") var seed: UInt64 = 0
    @Option(help: "The valid input range LO,HI (write --clip=-1,1 when LO is negative).") var clip: ClipRange = ClipRange(lower: 0, upper: 1)

    init() {}

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    /// The model and the data's rows and class indices (the model's classes when it records them,
    /// else classes 0…C−1 by number). `path` replaces `--model` (for a second model on the same data).
    func load(model path: String? = nil) throws -> LoadedModelData<ONNXClassifier> {
        guard let model = path ?? self.model else { throw ValidationError("--model MODEL.onnx is required") }
        let classifier = try ONNXClassifier(model: try ONNXModel(contentsOf: model))
        let predictor = classifier.predictor
        return try load(classifier, named: model, classes: predictor.classes, features: predictor.featureNames)
    }

    /// The data's rows for `classifier`, labels read through `classes` (else 0…C−1 by number), the
    /// columns `features` names (else all but the label).
    func load<Model: QueryableClassifier>(_ classifier: Model, named name: String, classes: ClassLabels?, features: [String]?) throws -> LoadedModelData<Model> {
        let classes = classes ?? ClassLabels(names: (0..<classifier.classCount).map(String.init))
        let dataset = try LabeledDataset(csv: data, label: label, classes: classes, features: features)
        guard dataset.features.shape[1] == classifier.width else {
            throw ValidationError("'\(data)' has \(dataset.features.shape[1]) feature columns besides '\(label)'; '\(name)' takes \(classifier.width) values per row")
        }
        let rows = min(dataset.count, limit ?? dataset.count)
        return LoadedModelData(
            model: classifier, features: Array(dataset.features.scalars.prefix(rows * classifier.width)),
            labels: dataset.labels.prefix(rows).map(Int.init), featureNames: dataset.featureNames, classes: classes, labelColumn: label)
    }
}

/// A classifier and the rows to attack or certify.
struct LoadedModelData<Model: QueryableClassifier> {
    let model: Model
    let features: [Float]
    let labels: [Int]
    let featureNames: [String]
    let classes: ClassLabels
    let labelColumn: String

    /// Writes rows with the data's columns (features, then the label) as CSV, atomically.
    func writeCSV(_ rows: [Float], to path: String) throws {
        var text = (featureNames + [labelColumn]).map(Self.quoted).joined(separator: ",") + "\n"
        let width = model.width
        for (row, label) in labels.enumerated() {
            text += rows[(row * width)..<((row + 1) * width)].map { "\($0)" }.joined(separator: ",")
            text += "," + Self.quoted(classes.names[label]) + "\n"
        }
        try FileIO.writeAtomically(text, to: path)
    }

    static func quoted(_ field: String) -> String {
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
}

/// `LO,HI`.
struct ClipRange: ExpressibleByArgument, Sendable {
    let lower: Float
    let upper: Float

    init(lower: Float, upper: Float) {
        self.lower = lower
        self.upper = upper
    }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let lower = Float(parts[0]), let upper = Float(parts[1]), lower.isFinite, upper.isFinite, lower < upper else { return nil }
        self.init(lower: lower, upper: upper)
    }

    var defaultValueDescription: String { "\(lower),\(upper)" }
}
