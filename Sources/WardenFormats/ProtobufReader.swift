import WardenCore

/// A streaming protobuf wire-format walker over a ``ByteSource``: it yields each field's number,
/// wire type and either its varint value or the byte range of its payload, reading only tags and
/// lengths. Payloads (tensor bytes) are never read unless the caller asks for them.
public struct ProtobufReader {
    /// One field of a message.
    public struct Field: Sendable {
        public var number: UInt64
        public var wireType: UInt8
        /// The value of a varint (wire type 0) or fixed field.
        public var value: UInt64
        /// The payload of a length-delimited field (wire type 2).
        public var range: Range<Int64>
    }

    public let source: any ByteSource
    public private(set) var offset: Int64
    public let end: Int64
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0

    public init(source: any ByteSource, range: Range<Int64>? = nil) {
        self.source = source
        self.offset = range?.lowerBound ?? 0
        self.end = min(range?.upperBound ?? source.count, source.count)
    }

    /// The next field, or nil at the end of the message.
    /// - Throws: ``WardenError`` (`invalidInput`) for a malformed tag, varint or length.
    public mutating func next() throws(WardenError) -> Field? {
        guard offset < end else { return nil }
        let at = offset
        let tag = try varint()
        let wireType = UInt8(tag & 7)
        let number = tag >> 3
        guard number > 0 else { throw malformed("field number 0", at) }
        switch wireType {
        case 0:
            return Field(number: number, wireType: 0, value: try varint(), range: offset..<offset)
        case 1, 5:
            let size: Int64 = wireType == 1 ? 8 : 4
            guard end - offset >= size else { throw malformed("truncated fixed field", at) }
            let bytes = try read(Int(size))
            offset += size
            return Field(number: number, wireType: wireType, value: bytes.le(0, Int(size)), range: offset - size..<offset)
        case 2:
            let length = try varint()
            guard length <= UInt64(end - offset) else { throw malformed("a field claims \(length) bytes, more than the \(end - offset) left", at) }
            let start = offset
            offset += Int64(length)
            return Field(number: number, wireType: 2, value: length, range: start..<offset)
        default:
            throw malformed("wire type \(wireType) (groups are not used by ONNX or TensorFlow)", at)
        }
    }

    /// The bytes of a length-delimited field, refusing more than `limit`.
    public func bytes(of field: Field, limit: Int) throws(WardenError) -> [UInt8] {
        guard field.range.upperBound - field.range.lowerBound <= Int64(limit) else {
            throw .invalidInput("'\(source.name)': a \(field.range.upperBound - field.range.lowerBound)-byte string field is longer than \(limit)")
        }
        return try source.read(field.range)
    }

    /// A length-delimited field as UTF-8 text (up to `limit` bytes).
    public func string(of field: Field, limit: Int = 1 << 16) throws(WardenError) -> String {
        String(decoding: try bytes(of: field, limit: limit), as: UTF8.self)
    }

    private mutating func read(_ count: Int) throws(WardenError) -> [UInt8] {
        let start = Int(offset - bufferStart)
        if start < 0 || start + count > buffer.count {
            buffer = try source.read(offset..<min(end, offset + Int64(max(count, 4096))))
            bufferStart = offset
        }
        let from = Int(offset - bufferStart)
        guard from + count <= buffer.count else { throw malformed("truncated", offset) }
        return Array(buffer[from..<from + count])
    }

    private mutating func varint() throws(WardenError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw malformed("truncated varint", offset) }
            let byte = try read(1)[0]
            offset += 1
            guard shift < 64 else { throw malformed("varint longer than 10 bytes", offset) }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    private func malformed(_ what: String, _ at: Int64) -> WardenError {
        .invalidInput("'\(source.name)': malformed protobuf at offset \(at): \(what)")
    }
}
