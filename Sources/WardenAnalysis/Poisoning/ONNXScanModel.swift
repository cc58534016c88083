import Foundation
import WardenCore
import WardenModels
import WardenTensor

/// A given ONNX classifier as `warden data scan --model MODEL.onnx` uses it, through Warden's ONNX
/// runtime: its probabilities feed confident learning (they are the model's own, not
/// cross-validated: a model trained on these rows has seen their labels) and its last hidden
/// activation is the representation for the backdoor detectors.
///
/// The hidden activation is the data input of the last layer: from the scored output (the first
/// float `[N, classes]` output, as ``ONNXClassifier`` picks it) back through Identity, Softmax,
/// LogSoftmax and Sigmoid, then through a bias Add to the Gemm or MatMul that computes the scores;
/// its input that is not an initialiser is the representation. When that is the graph input (a
/// linear model) there is no hidden layer.
public struct ONNXScanModel: Sendable {
    public let classifier: ONNXClassifier
    /// The value used as representation, `nil` for a model without a hidden layer.
    public let hiddenValue: String?
    public let path: String

    /// - Throws: as ``ONNXModel/init(contentsOf:)`` and ``ONNXClassifier/init(model:)``.
    public init(path: String) throws {
        let model = try ONNXModel(contentsOf: path)
        classifier = try ONNXClassifier(model: model)
        hiddenValue = Self.hiddenValue(of: classifier.outputName, in: model)
        self.path = path
    }

    static func hiddenValue(of output: String, in model: ONNXModel) -> String? {
        var name = output
        var node = ONNXClassifier.producer(of: name, in: model)
        while let current = node, ["Softmax", "LogSoftmax", "Sigmoid"].contains(current.opType), let input = current.inputs.first {
            name = input
            node = ONNXClassifier.producer(of: name, in: model)
        }
        if let add = node, add.opType == "Add" {
            node = add.inputs.lazy.compactMap { ONNXClassifier.producer(of: $0, in: model) }.first { ["MatMul", "Gemm"].contains($0.opType) }
        }
        guard let layer = node, ["MatMul", "Gemm"].contains(layer.opType),
            let data = layer.inputs.first(where: { !$0.isEmpty && model.initializers[$0] == nil }),
            !model.inputs.contains(where: { $0.name == data })
        else { return nil }
        return data
    }

    /// For each table column in the model's input order: the table's column index.
    /// - Throws: `.invalidInput` when the widths differ or a recorded feature name is missing.
    func columns(for table: FeatureTable) throws -> [Int] {
        guard classifier.width == table.width else {
            throw WardenError.invalidInput("'\(path)' takes \(classifier.width) values per row; '\(table.source)' has \(table.width) features")
        }
        guard let names = classifier.predictor.featureNames, names.count == table.width else { return Array(0..<table.width) }
        return try names.map { name in
            guard let index = table.featureNames.firstIndex(of: name) else {
                throw WardenError.invalidInput("'\(path)' was trained on a feature '\(name)' that '\(table.source)' does not have")
            }
            return index
        }
    }

    /// For each table class: the model's output index (by the recorded class names, else in order).
    /// - Throws: `.invalidInput` when the classes do not match.
    func classIndices(for table: FeatureTable) throws -> [Int] {
        if let names = classifier.predictor.classes?.names, names.count == classifier.classCount {
            return try table.classes.names.map { name in
                guard let index = names.firstIndex(of: name) else {
                    throw WardenError.invalidInput("'\(path)' does not predict the class '\(name)' of '\(table.source)' (its classes: \(names.joined(separator: ", ")))")
                }
                return index
            }
        }
        guard classifier.classCount == table.classes.count else {
            throw WardenError.invalidInput("'\(path)' scores \(classifier.classCount) classes; '\(table.source)' has \(table.classes.count)")
        }
        return Array(0..<table.classes.count)
    }

    /// The raw rows `rows` in the model's column order, in batches of at most 1024.
    func batches(_ table: FeatureTable, rows: [Int]) throws -> [(rows: Int, values: [Float])] {
        let columns = try columns(for: table)
        return stride(from: 0, to: rows.count, by: 1024).map { start in
            let chunk = rows[start..<Swift.min(rows.count, start + 1024)]
            var values = [Float]()
            values.reserveCapacity(chunk.count * columns.count)
            for row in chunk { for column in columns { values.append(table.raw[row * table.width + column]) } }
            return (chunk.count, values)
        }
    }

    /// Probabilities of `rows`, row-major `rows.count × table classes`.
    func probabilities(_ table: FeatureTable, rows: [Int]) throws -> [Float] {
        let classes = try classIndices(for: table)
        let k = classifier.classCount
        var result: [Float] = []
        result.reserveCapacity(rows.count * classes.count)
        for batch in try batches(table, rows: rows) {
            let scores = try classifier.scores(batch.values, rows: batch.rows)
            for row in 0..<batch.rows {
                let slice = scores[(row * k)..<((row + 1) * k)]
                let top = slice.max() ?? 0
                let exps = classes.map { Double(exp(slice[row * k + $0] - top)) }
                let total = (0..<k).reduce(0.0) { $0 + Double(exp(slice[row * k + $1] - top)) }
                result += exps.map { Float($0 / total) }
            }
        }
        return result
    }

    /// The hidden activation of `rows`, flattened to `rows.count × width`, `nil` without a hidden layer.
    func representation(_ table: FeatureTable, rows: [Int]) throws -> (values: [Float], width: Int)? {
        guard let hiddenValue else { return nil }
        var values: [Float] = []
        var width = 0
        for batch in try batches(table, rows: rows) {
            let input = try Tensor(shape: [batch.rows] + classifier.exampleShape, scalars: batch.values)
            guard let value = try classifier.session.run([classifier.predictor.inputName: ONNXValue(input)], values: [hiddenValue])[hiddenValue]?.floatTensor,
                value.rank >= 1, value.shape[0] == batch.rows
            else {
                throw WardenError.invalidInput("'\(path)': the hidden value '\(hiddenValue)' is not a float tensor with one row per example")
            }
            width = value.scalars.count / batch.rows
            values += value.scalars
        }
        return (values, width)
    }
}
