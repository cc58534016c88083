import WardenCore

/// The metadata of a GGUF file (versions 2 and 3): string values kept (chat templates, names),
/// arrays and numbers skipped, tensor infos checked against the file size. Tensor data is never read.
public struct GGUFMetadata: Sendable {
    public static let magic: [UInt8] = Array("GGUF".utf8)
    /// The longest string value kept (a chat template is a few KiB).
    public static let maxKeptString: UInt64 = 1 << 20

    public var version: UInt32 = 0
    public var tensorCount: UInt64 = 0
    /// String-valued keys and their values (longer strings are cut).
    public var strings: [(key: String, value: String, offset: Int64)] = []
    public var keyCount = 0
    /// What is wrong, one sentence each.
    public var problems: [String] = []

    private struct Cursor {
        let source: any ByteSource
        var offset: Int64
        var buffer: [UInt8] = []
        var bufferStart: Int64 = 0

        mutating func bytes(_ count: Int64) throws(WardenError) -> [UInt8] {
            guard count >= 0, count <= source.count - offset else { throw .invalidInput("truncated at offset \(offset)") }
            let start = Int(offset - bufferStart)
            if start < 0 || start + Int(count) > buffer.count {
                buffer = try source.read(offset..<offset + max(count, 1 << 16))
                bufferStart = offset
            }
            let from = Int(offset - bufferStart)
            offset += count
            return Array(buffer[from..<from + Int(count)])
        }

        mutating func skip(_ count: UInt64) throws(WardenError) {
            guard count <= UInt64(source.count - offset) else { throw .invalidInput("a value claims \(count) bytes past the end at offset \(offset)") }
            offset += Int64(count)
        }

        mutating func u32() throws(WardenError) -> UInt32 { UInt32(try bytes(4).le(0, 4)) }
        mutating func u64() throws(WardenError) -> UInt64 { try bytes(8).le(0, 8) }

        mutating func string(keep: UInt64) throws(WardenError) -> String {
            let length = try u64()
            guard length <= UInt64(source.count - offset) else { throw .invalidInput("a string claims \(length) bytes past the end at offset \(offset)") }
            if length <= keep { return String(decoding: try bytes(Int64(length)), as: UTF8.self) }
            let kept = try bytes(Int64(keep))
            try skip(length - keep)
            return String(decoding: kept, as: UTF8.self)
        }
    }

    static let scalarSizes: [UInt32: UInt64] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]

    /// Reads the header, every key/value and every tensor info.
    /// - Throws: ``WardenError`` only when the source cannot be read; problems are collected.
    public init(source: any ByteSource) throws(WardenError) {
        var cursor = Cursor(source: source, offset: 0)
        do {
            guard try cursor.bytes(4) == Self.magic else { throw WardenError.invalidInput("not a GGUF file") }
            version = try cursor.u32()
            guard version == 2 || version == 3 else { throw WardenError.invalidInput("unknown GGUF version \(version)") }
            tensorCount = try cursor.u64()
            let count = try cursor.u64()
            guard count <= UInt64(source.count) / 12 else { throw WardenError.invalidInput("the header claims \(count) keys, more than the file can hold") }
            guard tensorCount <= UInt64(source.count) / 24 else { throw WardenError.invalidInput("the header claims \(tensorCount) tensors, more than the file can hold") }
            var alignment: UInt64 = 32
            for _ in 0..<count {
                let key = try cursor.string(keep: 1 << 16)
                let at = cursor.offset
                let type = try cursor.u32()
                keyCount += 1
                switch type {
                case 8:
                    strings.append((key, try cursor.string(keep: Self.maxKeptString), at))
                case 9:
                    let elementType = try cursor.u32()
                    let elements = try cursor.u64()
                    if elementType == 8 {
                        for _ in 0..<elements { _ = try cursor.string(keep: 0) }
                    } else if let size = Self.scalarSizes[elementType] {
                        let (total, overflow) = size.multipliedReportingOverflow(by: elements)
                        guard !overflow else { throw WardenError.invalidInput("array '\(key)' size overflows") }
                        try cursor.skip(total)
                    } else {
                        throw WardenError.invalidInput("array '\(key)' has element type \(elementType)")
                    }
                default:
                    guard let size = Self.scalarSizes[type] else { throw WardenError.invalidInput("key '\(key)' has value type \(type)") }
                    let raw = try cursor.bytes(Int64(size))
                    if key == "general.alignment", size == 4 { alignment = raw.le(0, 4) }
                }
            }
            guard alignment > 0, alignment <= 1 << 20, alignment & (alignment - 1) == 0 else {
                throw WardenError.invalidInput("general.alignment \(alignment) is not a power of two")
            }
            var infos: [(String, UInt64, UInt64)] = []
            for _ in 0..<tensorCount {
                let name = try cursor.string(keep: 1 << 16)
                let dims = try cursor.u32()
                guard dims <= 8 else { throw WardenError.invalidInput("tensor '\(name)' has \(dims) dimensions") }
                var elements: UInt64 = 1
                for _ in 0..<dims {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: try cursor.u64())
                    guard !overflow else { throw WardenError.invalidInput("tensor '\(name)' size overflows") }
                    elements = product
                }
                _ = try cursor.u32()  // ggml type
                infos.append((name, try cursor.u64(), elements))
            }
            let dataStart = (UInt64(cursor.offset) + alignment - 1) / alignment * alignment
            for (name, offset, _) in infos {
                if offset % alignment != 0 { problems.append("tensor '\(name)' is not aligned to \(alignment) bytes") }
                let (start, overflow) = dataStart.addingReportingOverflow(offset)
                if overflow || start > UInt64(source.count) { problems.append("tensor '\(name)' starts past the end of the file") }
            }
        } catch {
            problems.append((error as? WardenError)?.message ?? "\(error)")
        }
    }
}
