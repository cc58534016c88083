import WardenModels

/// A tensor element type as the Open Inference Protocol (KServe v2) names it: `BOOL`, `UINT8`…`UINT64`,
/// `INT8`…`INT64`, `FP16`, `FP32`, `FP64`, `BYTES` (and Triton's `BF16`).
public struct TensorDatatype: Hashable, Sendable, CustomStringConvertible {
    /// The protocol's name (`FP32`).
    public let name: String

    private init(_ name: String) { self.name = name }

    public static let bool = TensorDatatype("BOOL")
    public static let uint8 = TensorDatatype("UINT8")
    public static let uint16 = TensorDatatype("UINT16")
    public static let uint32 = TensorDatatype("UINT32")
    public static let uint64 = TensorDatatype("UINT64")
    public static let int8 = TensorDatatype("INT8")
    public static let int16 = TensorDatatype("INT16")
    public static let int32 = TensorDatatype("INT32")
    public static let int64 = TensorDatatype("INT64")
    public static let fp16 = TensorDatatype("FP16")
    public static let bf16 = TensorDatatype("BF16")
    public static let fp32 = TensorDatatype("FP32")
    public static let fp64 = TensorDatatype("FP64")
    public static let bytes = TensorDatatype("BYTES")

    static let all: [TensorDatatype] = [.bool, .uint8, .uint16, .uint32, .uint64, .int8, .int16, .int32, .int64, .fp16, .bf16, .fp32, .fp64, .bytes]

    /// The datatype named `name` (exact, upper case as the protocol writes it); nil for anything else.
    public init?(name: String) {
        guard let known = Self.all.first(where: { $0.name == name }) else { return nil }
        self = known
    }

    /// The datatype of an ONNX element type; nil for types the protocol has no name for (complex, float8).
    public init?(_ type: ONNXElementType) {
        let table: [Int32: TensorDatatype] = [
            1: .fp32, 2: .uint8, 3: .int8, 4: .uint16, 5: .int16, 6: .int32, 7: .int64, 8: .bytes, 9: .bool, 10: .fp16, 11: .fp64,
            12: .uint32, 13: .uint64, 16: .bf16,
        ]
        guard let datatype = table[type.code] else { return nil }
        self = datatype
    }

    /// Whether the gateway decodes and runs tensors of this type (the ONNX runtime's types).
    public var isSupported: Bool { [.fp32, .int64, .int32, .uint8, .bool].contains(self) }

    public var description: String { name }
}
