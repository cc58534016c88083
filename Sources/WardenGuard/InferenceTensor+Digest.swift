import WardenCore

extension InferenceTensor {
    /// The SHA-256 of tensors in a canonical byte form (per tensor: name, datatype, shape, then the
    /// elements little-endian), so that the audit chain can name an input without storing it.
    public static func digest(of tensors: [InferenceTensor]) -> Digest {
        var bytes: [UInt8] = []
        func append(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        for tensor in tensors {
            append(UInt64(tensor.name.utf8.count))
            bytes += Array(tensor.name.utf8)
            bytes += Array(tensor.datatype.name.utf8) + [0]
            append(UInt64(tensor.shape.count))
            for dimension in tensor.shape { append(UInt64(dimension)) }
            switch tensor.values {
            case .float(let v): for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
            case .int64(let v): for x in v { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
            case .int32(let v): for x in v { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
            case .uint8(let v): bytes += v
            case .bool(let v): bytes += v.map { $0 ? 1 : 0 }
            }
        }
        return Digest.sha256(bytes)
    }
}
