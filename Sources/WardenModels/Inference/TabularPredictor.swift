import WardenCore
import WardenFormats
import WardenTensor

/// Runs a one-input ONNX model on rows of features (a CSV table's), the way `warden predict` and
/// `warden eval` do: rows reshaped to the model's input, outputs flattened to columns, and the
/// predicted class read from an integer label output or the arg-max of the first float output.
public struct TabularPredictor: Sendable {
    public let session: ONNXSession
    public let inputName: String
    /// One example's shape (the declared input shape without the batch dimension).
    public let exampleShape: [Int]
    /// The feature columns the model was trained on (Warden's metadata), in input order.
    public let featureNames: [String]?
    /// The classes by output index (Warden's metadata).
    public let classes: ClassLabels?

    /// - Throws: `.invalidInput` unless the model has one float input whose dimensions after the
    ///   first are fixed; `.unsupported` for an operator Warden does not run.
    public init(model: ONNXModel) throws {
        session = try ONNXSession(model: model)
        guard model.inputs.count == 1, let input = model.inputs.first, input.elementType == .float, let shape = input.shape, shape.count >= 2 else {
            throw WardenError.invalidInput("'\(model.source)' must have one float input of shape [N, …] to run on table rows (it has \(model.inputs.map { "\($0.name) \($0.typeDescription)" }.joined(separator: ", ")))")
        }
        var example: [Int] = []
        for dimension in shape.dropFirst() {
            guard case .fixed(let size) = dimension else {
                throw WardenError.invalidInput("'\(model.source)': input '\(input.name)' has a dimension \(dimension) that is not fixed; Warden cannot tell how to lay out a row")
            }
            example.append(size)
        }
        inputName = input.name
        exampleShape = example
        featureNames = Self.stringArray(model.metadata(ModelMetadataKey.features))
        classes = Self.stringArray(model.metadata(ModelMetadataKey.classes)).map(ClassLabels.init(names:))
    }

    static func stringArray(_ text: String?) -> [String]? {
        guard let text, case .array(let items)? = try? JSONParser().parse(Array(text.utf8)) else { return nil }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count ? strings : nil
    }

    /// Opens a CSV table for this model: its feature columns by the model's recorded names (else every
    /// column but `label`), checked against the width the model takes.
    /// - Throws: `.invalidInput` for a missing column or a table of the wrong width; as ``WardenFormats/CSVDataset/init(path:label:features:)``.
    public func table(_ path: String, label: String?) throws -> CSVDataset {
        let table = try CSVDataset(path: path, label: label, features: featureNames)
        guard table.featureColumns.count == width else {
            let besides = label.map { " besides '\($0)'" } ?? " (name the label column with --label)"
            throw WardenError.invalidInput("'\(path)' has \(table.featureColumns.count) feature columns\(besides); '\(session.model.source)' takes \(width) values per row")
        }
        return table
    }

    /// Values per row the model takes.
    public var width: Int { exampleShape.reduce(1, *) }

    /// Runs `rows` rows of `width` features.
    /// - Throws: as ``ONNXSession/run(_:)``.
    public func run(features: [Float], rows: Int) throws -> [String: ONNXValue] {
        let x = try Tensor(shape: [rows] + exampleShape, scalars: features)
        return try session.run([inputName: ONNXValue(x)])
    }

    /// The output columns: `name` for one value per row, `name_0, name_1, …` for several.
    public func columns(for outputs: [String: ONNXValue], rows: Int) -> [(name: String, output: String, width: Int)] {
        session.model.outputs.compactMap { info in
            guard let value = outputs[info.name] else { return nil }
            let width = rows > 0 ? value.count / rows : 0
            return (info.name, info.name, width)
        }
    }

    /// The predicted class of each row, as a label: an int64 output of one value per row (scikit-learn's
    /// `label`), else the arg-max of the first float output mapped through the model's class names.
    /// - Throws: `.invalidInput` when no output gives one class per row.
    public func predictedLabels(_ outputs: [String: ONNXValue], rows: Int) throws -> [String] {
        for info in session.model.outputs {
            if let value = outputs[info.name], let labels = value.int64Tensor, labels.count == rows {
                return labels.scalars.map(String.init)
            }
        }
        for info in session.model.outputs {
            guard let value = outputs[info.name], let scores = value.floatTensor, rows > 0, scores.count % rows == 0, scores.count / rows >= 2 else { continue }
            let winners = try scores.reshaped(to: [rows, scores.count / rows]).argmax(axis: 1).scalars
            return winners.map { index in
                if let classes, Int(index) < classes.count { return classes.names[Int(index)] }
                return String(index)
            }
        }
        throw WardenError.invalidInput("'\(session.model.source)' has no output that gives a class per row (an int64 label or [N, classes] scores)")
    }

    /// Whether a predicted label and a label from the data name the same class (`3` and `3.0` do).
    public static func sameClass(_ predicted: String, _ actual: String) -> Bool {
        if predicted == actual { return true }
        guard let a = ClassLabels.wholeNumber(predicted), let b = ClassLabels.wholeNumber(actual) else { return false }
        return a == b
    }
}
