import WardenCore
import WardenFormats
import WardenTensor

/// Examples in memory for training and evaluation: features `[N, F]`, class indices and names.
public struct LabeledDataset: Sendable {
    public let features: Tensor<Float>
    /// Class index per row.
    public let labels: [Int64]
    public let classes: ClassLabels
    public let featureNames: [String]
    public let source: String

    public var count: Int { labels.count }

    public init(features: Tensor<Float>, labels: [Int64], classes: ClassLabels, featureNames: [String], source: String) throws {
        guard features.rank == 2, features.shape[0] == labels.count, featureNames.count == features.shape[1] else {
            throw WardenError.invalidInput("'\(source)': \(labels.count) labels for features of shape \(features.shape)")
        }
        self.features = features
        self.labels = labels
        self.classes = classes
        self.featureNames = featureNames
        self.source = source
    }

    /// Reads a CSV file with a header, the label in column `label`.
    /// - Parameters:
    ///   - classes: the classes to map labels to (a model's); `nil` finds them in the data.
    /// - Throws: `.invalidInput` naming the row for bad values, a missing label column, an empty file.
    public init(csv path: String, label: String, classes: ClassLabels? = nil, features: [String]? = nil) throws {
        let table = try CSVDataset(path: path, label: label, features: features)
        let rows = try table.readAll()
        guard rows.rowCount > 0 else { throw WardenError.invalidInput("'\(path)' has a header but no rows") }
        let classes = classes ?? ClassLabels(labels: rows.labels)
        try self.init(
            features: try Tensor(shape: [rows.rowCount, table.featureColumns.count], scalars: rows.features),
            labels: try classes.indices(of: rows.labels, source: path), classes: classes, featureNames: table.featureNames, source: path)
    }
}
