import WardenCore
import WardenModels
import WardenTensor

/// A labelled table prepared for the poisoning detectors: raw features, the same standardised
/// (each column to mean 0 and standard deviation 1; constant columns become 0 and are listed), the
/// class index per row. Built from a ``LabeledDataset`` so every parser check (ragged rows, NaN,
/// non-numeric values, empty labels) has already run.
public struct FeatureTable: Sendable {
    public let rows: Int
    public let width: Int
    /// Row-major `rows × width`, as read.
    public let raw: [Float]
    /// Row-major `rows × width`, standardised.
    public let standardized: [Float]
    public let labels: [Int]
    public let classes: ClassLabels
    public let featureNames: [String]
    /// Columns with a single value (no information; 0 in ``standardized``).
    public let constantColumns: [Int]
    public let source: String

    /// - Throws: `.invalidInput` for fewer than `minimumRows` rows, a single class, or a class
    ///   with fewer than 2 rows when there are classes at all.
    public init(_ dataset: LabeledDataset, minimumRows: Int = 10) throws {
        let n = dataset.count, d = dataset.features.shape[1]
        guard n >= minimumRows else {
            throw WardenError.invalidInput("'\(dataset.source)' has \(n) rows; a poisoning scan needs at least \(minimumRows)")
        }
        var counts = [Int](repeating: 0, count: dataset.classes.count)
        for label in dataset.labels { counts[Int(label)] += 1 }
        let present = counts.filter { $0 > 0 }.count
        guard present >= 2 else {
            throw WardenError.invalidInput("'\(dataset.source)' has a single class ('\(dataset.classes.names.first ?? "")'); label checks need at least two")
        }
        let raw = dataset.features.scalars
        var standardized = raw
        var constant: [Int] = []
        for column in 0..<d {
            var mean = 0.0
            for row in 0..<n { mean += Double(raw[row * d + column]) }
            mean /= Double(n)
            var variance = 0.0
            for row in 0..<n {
                let delta = Double(raw[row * d + column]) - mean
                variance += delta * delta
            }
            let deviation = (variance / Double(n)).squareRoot()
            let isConstant = deviation <= 1e-12 * Swift.max(1, abs(mean))
            if isConstant { constant.append(column) }
            for row in 0..<n {
                standardized[row * d + column] = isConstant ? 0 : Float((Double(raw[row * d + column]) - mean) / deviation)
            }
        }
        rows = n
        width = d
        self.raw = raw
        self.standardized = standardized
        labels = dataset.labels.map { Int($0) }
        classes = dataset.classes
        featureNames = dataset.featureNames
        constantColumns = constant
        source = dataset.source
    }

    /// Rows per class, by class index.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The non-constant columns.
    public var informativeColumns: [Int] {
        let constant = Set(constantColumns)
        return (0..<width).filter { !constant.contains($0) }
    }

    /// The standardised rows `indices`, row-major, as a tensor `[indices.count, width]`.
    func standardizedRows(_ indices: [Int]) throws -> Tensor<Float> {
        var values = [Float](repeating: 0, count: indices.count * width)
        for (out, row) in indices.enumerated() {
            for column in 0..<width { values[out * width + column] = standardized[row * width + column] }
        }
        return try Tensor(shape: [indices.count, width], scalars: values)
    }
}
