/// What a model accepts or returns for one tensor: name, datatype and shape (`-1` for a dimension of
/// any size, usually the batch), and for inputs the range of each feature when it is known (learned
/// from the training data), indexed along the last dimension.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var datatype: TensorDatatype
    /// Declared dimensions; `-1` accepts any size. Nil when the model declares no shape.
    public var shape: [Int]?
    /// Per-feature ranges (`lower...upper`) along the last dimension; empty when unknown.
    public var ranges: [ClosedRange<Double>]

    public init(name: String, datatype: TensorDatatype, shape: [Int]?, ranges: [ClosedRange<Double>] = []) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.ranges = ranges
    }

    /// Whether the first dimension is a variable batch dimension.
    public var hasBatchDimension: Bool { shape?.first == -1 }

    /// `[-1, 4]`-style text.
    public var shapeDescription: String { shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "any shape" }
}
