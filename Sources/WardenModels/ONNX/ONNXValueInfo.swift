/// A graph input or output as the model declares it: name, element type and shape (dimensions may be
/// symbolic, such as a batch size `N`, or unknown).
public struct ONNXValueInfo: Sendable, Hashable {
    /// One dimension of a declared shape.
    public enum Dimension: Sendable, Hashable, CustomStringConvertible {
        case fixed(Int)
        case symbolic(String)
        case unknown

        public var description: String {
            switch self {
            case .fixed(let size): "\(size)"
            case .symbolic(let name): name
            case .unknown: "?"
            }
        }
    }

    public var name: String
    /// `nil` when the value is not a tensor (a sequence or map).
    public var elementType: ONNXElementType?
    /// `nil` when the model does not declare a shape.
    public var shape: [Dimension]?

    public init(name: String, elementType: ONNXElementType?, shape: [Dimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    /// `float[N, 64]`-style text.
    public var typeDescription: String {
        let type = elementType?.description ?? "non-tensor"
        guard let shape else { return type }
        return "\(type)[\(shape.map(\.description).joined(separator: ", "))]"
    }

    /// Whether a concrete shape fits the declared one (symbolic and unknown dimensions fit anything).
    func accepts(_ concrete: [Int]) -> Bool {
        guard let shape else { return true }
        guard shape.count == concrete.count else { return false }
        for (declared, actual) in zip(shape, concrete) {
            if case .fixed(let size) = declared, size != actual { return false }
        }
        return true
    }
}
