import Foundation
import WardenCore
import WardenModels
import WardenTensor

/// The classifier whose out-of-sample probabilities feed confident learning: native logistic
/// regression (``SoftmaxRegression``) or a network from a ``ModelSpec`` trained by WardenModels'
/// ``Trainer``, both trained on the standardised features; or a given ONNX classifier
/// (``ONNXScanModel``, run on the raw features and not retrained: its probabilities are not
/// out-of-sample).
public enum ProbabilityModel: Sendable, CustomStringConvertible {
    case logisticRegression(l2: Double)
    case network(spec: ModelSpec, epochs: Int, learningRate: Float)
    case onnx(ONNXScanModel)

    /// The L2 penalty of `logreg` (scikit-learn's C ≈ 0.2–0.7 at 450–1450 training rows: a little
    /// stronger than its default, which fits flipped labels more).
    public static let defaultL2 = 3e-3

    /// `logreg`, a trainer spec such as `mlp:64`, or the path of an `.onnx` file.
    /// - Throws: `.invalidInput` for an unknown model; as ``ONNXScanModel/init(path:)``.
    public init(parsing text: String, epochs: Int = 30) throws {
        if text.lowercased().hasSuffix(".onnx") {
            self = .onnx(try ONNXScanModel(path: text))
        } else if text == "logreg" {
            self = .logisticRegression(l2: Self.defaultL2)
        } else if !text.hasPrefix("mlp:") && !text.hasPrefix("cnn:") {
            throw WardenError.invalidInput("Model '\(text)' is not logreg, mlp:H1,H2,…, cnn:CxHxW:… or a MODEL.onnx file")
        } else {
            self = .network(spec: try ModelSpec(parsing: text), epochs: epochs, learningRate: 3e-3)
        }
    }

    public var description: String {
        switch self {
        case .logisticRegression: "logreg"
        case .network(let spec, _, _): spec.description
        case .onnx(let model): "\(model.path) (given ONNX model, not cross-validated)"
        }
    }

    /// A model fitted on `rows` of `table`, as a function from rows to probabilities.
    func fit(_ table: FeatureTable, rows: [Int], seed: UInt64) throws -> FittedProbabilityModel {
        if case .onnx(let model) = self { return .onnx(model) }
        let x = try table.standardizedRows(rows)
        let labels = rows.map { table.labels[$0] }
        switch self {
        case .logisticRegression(let l2):
            return .regression(try SoftmaxRegression(x: x, labels: labels, classes: table.classes.count, l2: l2))
        case .network(let spec, let epochs, let learningRate):
            let dataset = try LabeledDataset(
                features: x, labels: labels.map(Int64.init), classes: table.classes, featureNames: table.featureNames, source: table.source)
            let trainer = try Trainer(
                spec: spec, features: table.width, classes: table.classes, featureNames: table.featureNames,
                configuration: Trainer.Configuration(epochs: epochs, learningRate: learningRate, batchSize: 32, seed: seed))
            try trainer.train(on: dataset)
            return .network(trainer.model, inputShape: trainer.inputShape)
        case .onnx(let model):
            return .onnx(model)
        }
    }
}

/// A fitted ``ProbabilityModel``.
enum FittedProbabilityModel {
    case regression(SoftmaxRegression)
    case network(Sequential, inputShape: [Int])
    case onnx(ONNXScanModel)

    /// Probabilities of `rows` of `table`, row-major `rows.count × classes`.
    func probabilities(_ table: FeatureTable, rows: [Int]) throws -> [Float] {
        if case .onnx(let model) = self { return try model.probabilities(table, rows: rows) }
        let x = try table.standardizedRows(rows)
        switch self {
        case .regression(let model):
            return try model.probabilities(x)
        case .network(let model, let inputShape):
            return try model(x.reshaped(to: [rows.count] + inputShape)).softmax(axis: 1).scalars
        case .onnx(let model):
            return try model.probabilities(table, rows: rows)
        }
    }

    /// The input of the last layer (the penultimate representation) of a network, `nil` for a
    /// linear model; row-major `rows.count × width`.
    func penultimate(_ table: FeatureTable, rows: [Int]) throws -> (values: [Float], width: Int)? {
        if case .onnx(let model) = self { return try model.representation(table, rows: rows) }
        guard case .network(let model, let inputShape) = self, model.layers.count > 1 else { return nil }
        var value = try table.standardizedRows(rows).reshaped(to: [rows.count] + inputShape)
        for layer in model.layers.dropLast() { value = try layer(value) }
        value = try value.flattened(axis: 1)
        return (value.scalars, value.shape[1])
    }
}

/// Out-of-sample class probabilities from seeded stratified K-fold cross-validation: each row's
/// probabilities come from a model that did not see it.
public struct CrossValidatedProbabilities: Sendable {
    /// Row-major `rows × classes`.
    public let probabilities: [Float]
    public let classes: Int
    public let folds: Int
    /// The fraction of rows whose most probable class is their label.
    public let accuracy: Double

    /// - Parameter training: when given (one flag per row), each fold's model is trained only on
    ///   the rows flagged `true` outside the fold (all outside rows when that leaves none); every
    ///   row is still predicted by the model of its own fold. The folds do not depend on it.
    /// - Throws: `.invalidInput` when a class has fewer rows than folds allow, or training fails.
    public init(
        _ table: FeatureTable, model: ProbabilityModel, folds: Int, seed: UInt64, training: [Bool]? = nil, progress: (Int) -> Void = { _ in }
    ) throws {
        let split = try StratifiedKFold(labels: table.labels, folds: folds, seed: seed)
        let k = table.classes.count
        var probabilities = [Float](repeating: 0, count: table.rows * k)
        for fold in 0..<folds {
            var (train, test) = split.split(fold)
            guard !test.isEmpty else { continue }
            if let training {
                let kept = train.filter { training[$0] }
                if !kept.isEmpty { train = kept }
            }
            let fitted = try model.fit(table, rows: train, seed: seed &+ UInt64(fold))
            let p = try fitted.probabilities(table, rows: test)
            for (i, row) in test.enumerated() {
                for c in 0..<k { probabilities[row * k + c] = p[i * k + c] }
            }
            progress(fold + 1)
        }
        var correct = 0
        for row in 0..<table.rows {
            let slice = probabilities[(row * k)..<((row + 1) * k)]
            if slice.firstIndex(of: slice.max()!)! - row * k == table.labels[row] { correct += 1 }
        }
        self.probabilities = probabilities
        classes = k
        self.folds = folds
        accuracy = Double(correct) / Double(table.rows)
    }
}
