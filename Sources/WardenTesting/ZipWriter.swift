import CCompression

/// Writes ZIP archives (stored or DEFLATE members, optional leading bytes) the way Python's
/// zipfile and torch.save do, for scanner tests. Also raw compression helpers for joblib-style
/// compressed files.
public struct ZipWriter: Sendable {
    public struct Member: Sendable {
        public var name: String
        public var data: [UInt8]
        public var deflate: Bool
        public init(_ name: String, _ data: [UInt8], deflate: Bool = false) {
            self.name = name
            self.data = data
            self.deflate = deflate
        }
    }

    public var members: [Member] = []
    /// Bytes written before the archive (offsets are not adjusted, as `cat stub.bin a.zip` does).
    public var prefix: [UInt8] = []

    public init(_ members: [Member] = [], prefix: [UInt8] = []) {
        self.members = members
        self.prefix = prefix
    }

    public mutating func add(_ name: String, _ data: [UInt8], deflate: Bool = false) {
        members.append(Member(name, data, deflate: deflate))
    }

    /// The archive's bytes.
    public func bytes() -> [UInt8] {
        var out = prefix
        var directory: [UInt8] = []
        func le(_ value: UInt64, _ size: Int, into buffer: inout [UInt8]) {
            for index in 0..<size { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
        }
        for member in members {
            let stored = member.deflate ? Compression.deflate(member.data) : member.data
            let crc = Compression.crc32(member.data)
            let offset = out.count - prefix.count
            let name = Array(member.name.utf8)
            var header: [UInt8] = []
            le(0x0403_4b50, 4, into: &header)
            le(20, 2, into: &header)
            le(0, 2, into: &header)
            le(member.deflate ? 8 : 0, 2, into: &header)
            le(0, 4, into: &header)  // time, date
            le(UInt64(crc), 4, into: &header)
            le(UInt64(stored.count), 4, into: &header)
            le(UInt64(member.data.count), 4, into: &header)
            le(UInt64(name.count), 2, into: &header)
            le(0, 2, into: &header)
            out += header + name + stored
            le(0x0201_4b50, 4, into: &directory)
            le(20, 2, into: &directory)
            le(20, 2, into: &directory)
            le(0, 2, into: &directory)
            le(member.deflate ? 8 : 0, 2, into: &directory)
            le(0, 4, into: &directory)
            le(UInt64(crc), 4, into: &directory)
            le(UInt64(stored.count), 4, into: &directory)
            le(UInt64(member.data.count), 4, into: &directory)
            le(UInt64(name.count), 2, into: &directory)
            le(0, 2, into: &directory)  // extra
            le(0, 2, into: &directory)  // comment
            le(0, 2, into: &directory)  // disk
            le(0, 2, into: &directory)  // internal attributes
            le(0, 4, into: &directory)  // external attributes
            le(UInt64(offset), 4, into: &directory)
            directory += name
        }
        let directoryOffset = out.count - prefix.count
        out += directory
        var end: [UInt8] = []
        le(0x0605_4b50, 4, into: &end)
        le(0, 4, into: &end)
        le(UInt64(members.count), 2, into: &end)
        le(UInt64(members.count), 2, into: &end)
        le(UInt64(directory.count), 4, into: &end)
        le(UInt64(directoryOffset), 4, into: &end)
        le(0, 2, into: &end)
        return out + end
    }
}

/// Compression with the system libraries, for generating compressed fixtures.
public enum Compression {
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        UInt32(data.withUnsafeBufferPointer { CCompression.crc32(0, $0.baseAddress, UInt32($0.count)) })
    }

    /// Raw DEFLATE (windowBits -15), zlib (15) or gzip (31).
    public static func deflate(_ data: [UInt8], windowBits: Int32 = -15) -> [UInt8] {
        var stream = z_stream()
        _ = deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        var input = data
        let produced = input.withUnsafeMutableBufferPointer { inputPointer in
            output.withUnsafeMutableBufferPointer { outputPointer in
                stream.next_in = inputPointer.baseAddress
                stream.avail_in = UInt32(inputPointer.count)
                stream.next_out = outputPointer.baseAddress
                stream.avail_out = UInt32(outputPointer.count)
                _ = CCompression.deflate(&stream, Z_FINISH)
                return outputPointer.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    public static func zlib(_ data: [UInt8]) -> [UInt8] { deflate(data, windowBits: 15) }
    public static func gzip(_ data: [UInt8]) -> [UInt8] { deflate(data, windowBits: 31) }

    public static func bzip2(_ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: data.count + data.count / 100 + 1024)
        var length = UInt32(output.count)
        var input = data
        _ = input.withUnsafeMutableBufferPointer { inputPointer in
            output.withUnsafeMutableBufferPointer { outputPointer in
                BZ2_bzBuffToBuffCompress(
                    UnsafeMutableRawPointer(outputPointer.baseAddress!).assumingMemoryBound(to: CChar.self), &length,
                    UnsafeMutableRawPointer(inputPointer.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(inputPointer.count), 9, 0, 0)
            }
        }
        return Array(output[0..<Int(length)])
    }

    /// xz (`.xz` container) or lzma-alone (`.lzma`, what joblib's 'lzma' writes).
    public static func xz(_ data: [UInt8], alone: Bool = false) -> [UInt8] {
        var stream = lzma_stream()
        if alone {
            var options = lzma_options_lzma()
            _ = lzma_lzma_preset(&options, 6)
            _ = lzma_alone_encoder(&stream, &options)
        } else {
            _ = lzma_easy_encoder(&stream, 6, LZMA_CHECK_CRC64)
        }
        defer { lzma_end(&stream) }
        var output = [UInt8](repeating: 0, count: data.count + data.count / 2 + 4096)
        let produced = data.withUnsafeBufferPointer { inputPointer in
            output.withUnsafeMutableBufferPointer { outputPointer in
                stream.next_in = inputPointer.baseAddress
                stream.avail_in = inputPointer.count
                stream.next_out = outputPointer.baseAddress
                stream.avail_out = outputPointer.count
                while lzma_code(&stream, LZMA_FINISH) == LZMA_OK {}
                return outputPointer.count - stream.avail_out
            }
        }
        return Array(output[0..<produced])
    }
}
