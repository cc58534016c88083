import WardenCore
import WardenTensor

/// A value during a run: floats as ``Variable``s (so the same kernels run and differentiate), the
/// other element types as tensors (shapes, indices, labels and masks carry no gradient).
package enum ONNXRuntimeValue {
    case float(Variable)
    case int64(Tensor<Int64>)
    case int32(Tensor<Int32>)
    case uint8(Tensor<UInt8>)
    case bool(Tensor<Bool>)

    init(_ value: ONNXValue, requiresGradient: Bool = false) {
        switch value.storage {
        case .float(let t): self = .float(Variable(t, requiresGradient: requiresGradient))
        case .int64(let t): self = .int64(t)
        case .int32(let t): self = .int32(t)
        case .uint8(let t): self = .uint8(t)
        case .bool(let t): self = .bool(t)
        }
    }

    /// The plain value (floats detached from their graph).
    var value: ONNXValue {
        switch self {
        case .float(let v): ONNXValue(v.value)
        case .int64(let t): ONNXValue(t)
        case .int32(let t): ONNXValue(t)
        case .uint8(let t): ONNXValue(t)
        case .bool(let t): ONNXValue(t)
        }
    }

    var shape: [Int] {
        switch self {
        case .float(let v): v.shape
        case .int64(let t): t.shape
        case .int32(let t): t.shape
        case .uint8(let t): t.shape
        case .bool(let t): t.shape
        }
    }

    var elementType: ONNXElementType {
        switch self {
        case .float: .float
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    /// Applies a shape operation that works the same for every element type.
    func applying(_ operation: some StructuralOperation) throws -> ONNXRuntimeValue {
        switch self {
        case .float(let v): .float(try operation.apply(v))
        case .int64(let t): .int64(try operation.apply(t))
        case .int32(let t): .int32(try operation.apply(t))
        case .uint8(let t): .uint8(try operation.apply(t))
        case .bool(let t): .bool(try operation.apply(t))
        }
    }

    /// The elements as int64 (int32, uint8 and bool widened; floats refused).
    func int64Tensor() -> Tensor<Int64>? {
        switch self {
        case .float: nil
        case .int64(let t): t
        case .int32(let t): t.converted(to: Int64.self)
        case .uint8(let t): t.converted(to: Int64.self)
        case .bool(let t): t.converted(to: Int64.self)
        }
    }

    /// The tensor of element type `T`, when that is this value's type (floats detached).
    func tensor<T: TensorElement>(as type: T.Type) -> Tensor<T>? {
        switch self {
        case .float(let v): v.value as? Tensor<T>
        case .int64(let t): t as? Tensor<T>
        case .int32(let t): t as? Tensor<T>
        case .uint8(let t): t as? Tensor<T>
        case .bool(let t): t as? Tensor<T>
        }
    }

    /// A tensor of this value's element type built from `T` values of any other (for `Cast`).
    func cast(to target: ONNXElementType) throws -> ONNXRuntimeValue {
        func convert<T: TensorElement>(_ t: Tensor<T>) throws -> ONNXRuntimeValue {
            switch target {
            case .float: return .float(Variable(t.converted(to: Float.self)))
            case .int64: return .int64(t.converted(to: Int64.self))
            case .int32: return .int32(t.converted(to: Int32.self))
            case .uint8: return .uint8(t.converted(to: UInt8.self))
            case .bool: return .bool(t.converted(to: Bool.self))
            default: throw WardenError.unsupported("casting to \(target) is not supported (float, int64, int32, uint8, bool are)")
            }
        }
        if target == elementType { return self }
        switch self {
        case .float(let v): return try convert(v.value)
        case .int64(let t): return try convert(t)
        case .int32(let t): return try convert(t)
        case .uint8(let t): return try convert(t)
        case .bool(let t): return try convert(t)
        }
    }
}

/// A shape operation (reshape, transpose, slice, …) defined for every element type and for variables.
protocol StructuralOperation {
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T>
    func apply(_ variable: Variable) throws -> Variable
}
