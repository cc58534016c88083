/// The scalar types a ``Tensor`` can hold: `Float` for all arithmetic and gradients, the integer and
/// Boolean types for what ONNX graphs carry beside it (shapes, indices, masks).
public protocol TensorElement: Sendable, Hashable, BitwiseCopyable {
    /// The additive identity (`false` for `Bool`).
    static var zero: Self { get }
    /// The element type's name as ONNX and NumPy spell it.
    static var dataType: TensorDataType { get }
    /// Converts from a `Double`, truncating toward zero for integers (`x != 0` for `Bool`).
    init(convertingDouble value: Double)
    /// The value as a `Double` (`1`/`0` for `Bool`).
    var doubleValue: Double { get }
}

/// An element type's identity, for messages and format writers.
public struct TensorDataType: Hashable, Sendable, CustomStringConvertible {
    private enum Internal: String, Sendable {
        case float32, int64, int32, uint8, bool
    }
    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    public static let float32 = TensorDataType(.float32)
    public static let int64 = TensorDataType(.int64)
    public static let int32 = TensorDataType(.int32)
    public static let uint8 = TensorDataType(.uint8)
    public static let bool = TensorDataType(.bool)

    /// Bytes per element.
    public var byteCount: Int {
        switch value {
        case .float32, .int32: 4
        case .int64: 8
        case .uint8, .bool: 1
        }
    }

    public var description: String { value.rawValue }
}

extension Float: TensorElement {
    public static var dataType: TensorDataType { .float32 }
    public init(convertingDouble value: Double) { self = Float(value) }
    public var doubleValue: Double { Double(self) }
}

extension Int64: TensorElement {
    public static var dataType: TensorDataType { .int64 }
    public init(convertingDouble value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223_372_036_854_775e18 {
            self = .max
        } else if value <= -9.223_372_036_854_775e18 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
    public var doubleValue: Double { Double(self) }
}

extension Int32: TensorElement {
    public static var dataType: TensorDataType { .int32 }
    public init(convertingDouble value: Double) {
        self = value.isFinite ? Int32(clamping: Int64(convertingDouble: value)) : 0
    }
    public var doubleValue: Double { Double(self) }
}

extension UInt8: TensorElement {
    public static var dataType: TensorDataType { .uint8 }
    public init(convertingDouble value: Double) {
        self = value.isFinite ? UInt8(clamping: Int64(convertingDouble: value)) : 0
    }
    public var doubleValue: Double { Double(self) }
}

extension Bool: TensorElement {
    public static var zero: Bool { false }
    public static var dataType: TensorDataType { .bool }
    public init(convertingDouble value: Double) { self = value != 0 }
    public var doubleValue: Double { self ? 1 : 0 }
}
