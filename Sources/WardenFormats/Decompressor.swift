import CCompression
import WardenCore

/// Bounded decompression of raw DEFLATE, zlib, gzip, bzip2, xz and lzma-alone streams with the
/// system's zlib, libbz2 and liblzma. Input is pulled from a ``ByteSource`` in chunks; output never
/// grows past the caller's limit, so a decompression bomb stops there.
public enum Decompressor {
    /// A compressed stream's format.
    public enum Codec: String, Sendable, CaseIterable {
        case deflate, zlib, gzip, bzip2, xz, lzma

        /// The codec whose magic bytes start `head` (raw DEFLATE has none and is never detected).
        public static func detect(_ head: [UInt8]) -> Codec? {
            if head.starts(with: [0x1f, 0x8b, 0x08]) { return .gzip }
            if head.count >= 4, head.starts(with: [0x42, 0x5a, 0x68]), (0x31...0x39).contains(head[3]) { return .bzip2 }
            if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
            // lzma-alone: properties byte 0x5d and a 2^n dictionary size (what joblib and xz write).
            if head.count >= 13, head[0] == 0x5d, head[1] == 0, head[2] == 0 { return .lzma }
            if head.count >= 2, head[0] == 0x78, (UInt16(head[0]) << 8 | UInt16(head[1])) % 31 == 0, head[1] & 0x20 == 0 { return .zlib }
            return nil
        }
    }

    /// The output would exceed the caller's limit (a decompression bomb, or simply too big).
    public struct LimitExceeded: Error, Sendable, CustomStringConvertible {
        public var limit: Int
        public var description: String { "decompressed data exceeds the \(limit)-byte limit" }
    }

    /// How many input bytes are read at a time.
    static let chunk = 1 << 20

    /// Decompresses `range` of `source` (all of it when nil).
    /// - Parameters:
    ///   - limit: the most output bytes; more throws ``LimitExceeded`` unless `prefixOnly`.
    ///   - prefixOnly: return the first `limit` bytes (or fewer at the end, or where the stream
    ///     breaks off) instead of failing: for sniffing a member's format.
    /// - Throws: ``LimitExceeded``, or ``WardenError`` (`invalidInput`) for a corrupt stream.
    public static func decompress(
        _ codec: Codec, from source: any ByteSource, range: Range<Int64>? = nil, limit: Int, prefixOnly: Bool = false
    ) throws -> [UInt8] {
        let range = range ?? 0..<source.count
        var stream: any Stream
        switch codec {
        case .deflate: stream = try ZlibStream(windowBits: -15)
        case .zlib: stream = try ZlibStream(windowBits: 15)
        case .gzip: stream = try ZlibStream(windowBits: 31)
        case .bzip2: stream = try Bzip2Stream()
        case .xz, .lzma: stream = try LzmaStream(alone: codec == .lzma)
        }
        defer { stream.end() }
        var output: [UInt8] = []
        var offset = range.lowerBound
        var finished = false
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        defer { buffer.deallocate() }
        while !finished {
            let input = try source.read(offset..<min(range.upperBound, offset + Int64(chunk)))
            offset += Int64(input.count)
            let last = offset >= range.upperBound
            var consumed = 0
            repeat {
                let (used, produced, ended) = try input.withUnsafeBufferPointer { pointer in
                    try stream.step(UnsafeBufferPointer(rebasing: pointer[consumed...]), output: buffer, finish: last)
                }
                consumed += used
                if produced > 0 {
                    let room = limit - output.count
                    output.append(contentsOf: buffer[0..<min(produced, room)])
                    if produced > room {
                        if prefixOnly { return output }
                        throw LimitExceeded(limit: limit)
                    }
                }
                if ended {
                    finished = true
                    break
                }
                if used == 0 && produced == 0 {
                    if last {
                        if prefixOnly { return output }
                        throw WardenError.invalidInput("'\(source.name)': the \(codec.rawValue) stream ends before its end marker")
                    }
                    break
                }
            } while consumed < input.count || !last
        }
        return output
    }

    /// The first `count` bytes of a compressed range, decoding no more than needed.
    public static func prefix(_ codec: Codec, from source: any ByteSource, range: Range<Int64>? = nil, count: Int) throws -> [UInt8] {
        let range = range ?? 0..<source.count
        // A small first read: sniffing must not pull a whole member in.
        let window = min(range.upperBound, range.lowerBound + Int64(max(count * 4, 4096)))
        let head = try decompress(codec, from: source, range: range.lowerBound..<window, limit: count, prefixOnly: true)
        if head.count >= count || window == range.upperBound { return head }
        return try decompress(codec, from: source, range: range, limit: count, prefixOnly: true)
    }
}

/// One decompression library behind a common step.
private protocol Stream {
    /// Feeds input, fills output; returns input used, output produced, and whether the stream ended.
    mutating func step(_ input: UnsafeBufferPointer<UInt8>, output: UnsafeMutableBufferPointer<UInt8>, finish: Bool) throws -> (Int, Int, Bool)
    mutating func end()
}

private func corrupt(_ codec: String, _ code: Int32) -> WardenError {
    .invalidInput("Malformed \(codec) data (library error \(code))")
}

// The libraries keep a pointer back to their stream structure, so each lives at a fixed address.
private struct ZlibStream: Stream {
    let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init(windowBits: Int32) throws {
        z.initialize(to: z_stream())
        guard inflateInit2_(z, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            z.deallocate()
            throw WardenError.internalError("zlib could not be initialised")
        }
    }

    mutating func step(_ input: UnsafeBufferPointer<UInt8>, output: UnsafeMutableBufferPointer<UInt8>, finish: Bool) throws -> (Int, Int, Bool) {
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        z.pointee.avail_in = UInt32(input.count)
        z.pointee.next_out = output.baseAddress
        z.pointee.avail_out = UInt32(output.count)
        let status = inflate(z, Z_NO_FLUSH)
        let used = input.count - Int(z.pointee.avail_in)
        let produced = output.count - Int(z.pointee.avail_out)
        switch status {
        case Z_STREAM_END: return (used, produced, true)
        case Z_OK, Z_BUF_ERROR: return (used, produced, false)
        default: throw corrupt("DEFLATE", status)
        }
    }

    mutating func end() {
        inflateEnd(z)
        z.deallocate()
    }
}

private struct Bzip2Stream: Stream {
    let b = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)

    init() throws {
        b.initialize(to: bz_stream())
        guard BZ2_bzDecompressInit(b, 0, 0) == BZ_OK else {
            b.deallocate()
            throw WardenError.internalError("libbz2 could not be initialised")
        }
    }

    mutating func step(_ input: UnsafeBufferPointer<UInt8>, output: UnsafeMutableBufferPointer<UInt8>, finish: Bool) throws -> (Int, Int, Bool) {
        let inputPointer = input.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: CChar.self) }
        b.pointee.next_in = inputPointer
        b.pointee.avail_in = UInt32(input.count)
        b.pointee.next_out = output.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) }
        b.pointee.avail_out = UInt32(output.count)
        let status = BZ2_bzDecompress(b)
        let used = input.count - Int(b.pointee.avail_in)
        let produced = output.count - Int(b.pointee.avail_out)
        switch status {
        case BZ_STREAM_END: return (used, produced, true)
        case BZ_OK: return (used, produced, false)
        default: throw corrupt("bzip2", status)
        }
    }

    mutating func end() {
        BZ2_bzDecompressEnd(b)
        b.deallocate()
    }
}

private struct LzmaStream: Stream {
    let l = UnsafeMutablePointer<lzma_stream>.allocate(capacity: 1)

    init(alone: Bool) throws {
        l.initialize(to: lzma_stream())
        let memoryLimit: UInt64 = 512 << 20
        let status = alone ? lzma_alone_decoder(l, memoryLimit) : lzma_stream_decoder(l, memoryLimit, 0)
        guard status == LZMA_OK else {
            l.deallocate()
            throw WardenError.internalError("liblzma could not be initialised")
        }
    }

    mutating func step(_ input: UnsafeBufferPointer<UInt8>, output: UnsafeMutableBufferPointer<UInt8>, finish: Bool) throws -> (Int, Int, Bool) {
        l.pointee.next_in = input.baseAddress
        l.pointee.avail_in = input.count
        l.pointee.next_out = output.baseAddress
        l.pointee.avail_out = output.count
        let status = lzma_code(l, finish ? LZMA_FINISH : LZMA_RUN)
        let used = input.count - l.pointee.avail_in
        let produced = output.count - l.pointee.avail_out
        switch status {
        case LZMA_STREAM_END: return (used, produced, true)
        case LZMA_OK, LZMA_BUF_ERROR: return (used, produced, false)
        default: throw corrupt("xz/lzma", Int32(status.rawValue))
        }
    }

    mutating func end() {
        lzma_end(l)
        l.deallocate()
    }
}
