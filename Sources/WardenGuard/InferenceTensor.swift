import WardenModels
import WardenTensor

/// One named tensor of an inference request or response: datatype, shape and row-major values.
public struct InferenceTensor: Sendable, Equatable {
    /// Row-major elements of one of the types the runtime computes with.
    public enum Values: Sendable, Equatable {
        case float([Float])
        case int64([Int64])
        case int32([Int32])
        case uint8([UInt8])
        case bool([Bool])

        public var count: Int {
            switch self {
            case .float(let v): v.count
            case .int64(let v): v.count
            case .int32(let v): v.count
            case .uint8(let v): v.count
            case .bool(let v): v.count
            }
        }

        /// The protocol datatype of these values.
        public var datatype: TensorDatatype {
            switch self {
            case .float: .fp32
            case .int64: .int64
            case .int32: .int32
            case .uint8: .uint8
            case .bool: .bool
            }
        }
    }

    public var name: String
    public var shape: [Int]
    public var values: Values

    public init(name: String, shape: [Int], values: Values) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    public var datatype: TensorDatatype { values.datatype }

    /// The runtime value (shape and count already validated).
    /// - Throws: `.invalidInput` when the shape does not hold the values.
    public func onnxValue() throws -> ONNXValue {
        switch values {
        case .float(let v): return ONNXValue(try Tensor(shape: shape, scalars: v))
        case .int64(let v): return ONNXValue(try Tensor(shape: shape, scalars: v))
        case .int32(let v): return ONNXValue(try Tensor(shape: shape, scalars: v))
        case .uint8(let v): return ONNXValue(try Tensor(shape: shape, scalars: v))
        case .bool(let v): return ONNXValue(try Tensor(shape: shape, scalars: v))
        }
    }

    /// A runtime output as a protocol tensor (types the runtime produces map one to one).
    public init(name: String, _ value: ONNXValue) {
        self.name = name
        shape = value.shape
        if let t = value.floatTensor {
            values = .float(t.scalars)
        } else if let t = value.int64Tensor {
            values = .int64(t.scalars)
        } else if value.elementType == .bool {
            values = .bool(value.doubles.map { $0 != 0 })
        } else if value.elementType == .uint8 {
            values = .uint8(value.doubles.map { UInt8($0) })
        } else {
            values = .int32(value.doubles.map { Int32($0) })
        }
    }
}
