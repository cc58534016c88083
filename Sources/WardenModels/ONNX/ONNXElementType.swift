/// An ONNX tensor element type (`TensorProto.DataType`), including the ones Warden can describe but
/// not compute with (double, float16, string…).
public struct ONNXElementType: Hashable, Sendable, CustomStringConvertible {
    /// The `TensorProto.DataType` code.
    public let code: Int32

    public init(code: Int32) { self.code = code }

    public static let float = ONNXElementType(code: 1)
    public static let uint8 = ONNXElementType(code: 2)
    public static let int8 = ONNXElementType(code: 3)
    public static let int32 = ONNXElementType(code: 6)
    public static let int64 = ONNXElementType(code: 7)
    public static let string = ONNXElementType(code: 8)
    public static let bool = ONNXElementType(code: 9)
    public static let double = ONNXElementType(code: 11)

    private static let names: [Int32: String] = [
        0: "undefined", 1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
        9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128",
        16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4",
        22: "int4", 23: "float4e2m1",
    ]

    /// The name ONNX uses (`float`, `int64`, …).
    public var description: String { Self.names[code] ?? "type \(code)" }

    /// Whether Warden's runtime computes with this type (float, int64, int32, uint8, bool).
    public var isSupported: Bool { [1, 2, 6, 7, 9].contains(code) }
}
