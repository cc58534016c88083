import WardenCore
import WardenTensor

/// A tensor flowing through an ONNX graph: float for arithmetic, the integer and Boolean types for
/// shapes, indices, labels and masks.
public struct ONNXValue: Sendable {
    enum Storage: Sendable {
        case float(Tensor<Float>)
        case int64(Tensor<Int64>)
        case int32(Tensor<Int32>)
        case uint8(Tensor<UInt8>)
        case bool(Tensor<Bool>)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    public init(_ tensor: Tensor<Float>) { storage = .float(tensor) }
    public init(_ tensor: Tensor<Int64>) { storage = .int64(tensor) }
    public init(_ tensor: Tensor<Int32>) { storage = .int32(tensor) }
    public init(_ tensor: Tensor<UInt8>) { storage = .uint8(tensor) }
    public init(_ tensor: Tensor<Bool>) { storage = .bool(tensor) }

    /// The element type.
    public var elementType: ONNXElementType {
        switch storage {
        case .float: .float
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    /// The shape.
    public var shape: [Int] {
        switch storage {
        case .float(let t): t.shape
        case .int64(let t): t.shape
        case .int32(let t): t.shape
        case .uint8(let t): t.shape
        case .bool(let t): t.shape
        }
    }

    /// The element count.
    public var count: Int { shape.reduce(1, *) }

    /// The tensor when the elements are floats, else `nil`.
    public var floatTensor: Tensor<Float>? {
        if case .float(let t) = storage { return t }
        return nil
    }

    /// The tensor when the elements are int64, else `nil`.
    public var int64Tensor: Tensor<Int64>? {
        if case .int64(let t) = storage { return t }
        return nil
    }

    /// The elements converted to `Float` (labels, masks and indices included).
    public func convertedToFloat() -> Tensor<Float> {
        switch storage {
        case .float(let t): t
        case .int64(let t): t.converted(to: Float.self)
        case .int32(let t): t.converted(to: Float.self)
        case .uint8(let t): t.converted(to: Float.self)
        case .bool(let t): t.converted(to: Float.self)
        }
    }

    /// The elements as `Double`s in row-major order (for printing and comparing).
    public var doubles: [Double] {
        switch storage {
        case .float(let t): t.scalars.map(Double.init)
        case .int64(let t): t.scalars.map(Double.init)
        case .int32(let t): t.scalars.map(Double.init)
        case .uint8(let t): t.scalars.map(Double.init)
        case .bool(let t): t.scalars.map { $0 ? 1 : 0 }
        }
    }
}
