import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that can be read at any offset without loading them all: a file (pread), a buffer (an
/// archive member already decompressed) or a slice of another source (a stored archive member).
/// Readers take only the ranges they need, so a scan never reads tensor data it does not look at.
public protocol ByteSource: Sendable {
    /// Total size in bytes.
    var count: Int64 { get }
    /// Where the bytes come from, for messages.
    var name: String { get }
    /// Reads `range` (clamped to the source); fewer bytes only at the end of the source.
    func read(_ range: Range<Int64>) throws(WardenError) -> [UInt8]
}

extension ByteSource {
    /// A view of `range` of this source, read lazily.
    public func slice(_ range: Range<Int64>, name: String) -> SliceSource {
        SliceSource(base: self, range: range, name: name)
    }
}

/// A regular file read with pread; the descriptor stays open until the object is released. A small
/// file (up to ``FileSource/wholeReadLimit``) is read with one call when it is opened and its
/// descriptor closed at once: parsing it takes several small reads (a zip's local headers, a pickle's
/// frames), and one read of a few kilobytes costs less than that many system calls.
public final class FileSource: ByteSource {
    /// Files up to this size are read whole when opened.
    public static let wholeReadLimit: Int64 = 64 * 1024

    public let name: String
    public let count: Int64
    // The descriptor is immutable after init and pread is thread-safe, so sharing is safe.
    // -1 once a small file has been read whole.
    private let fd: Int32
    private let whole: [UInt8]?

    /// Opens a regular file (FIFOs, devices and folders are refused before any read).
    /// - Throws: ``WardenError`` (`io`) when it cannot be opened or read, (`invalidInput`) when it is not a regular file.
    public init(path: String) throws(WardenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .io("Cannot open '\(path)': \(FileIO.errnoText())") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .io("Cannot read '\(path)': \(FileIO.errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .invalidInput("'\(path)' is not a regular file")
        }
        self.name = path
        let size = Int64(info.st_size)
        if size <= Self.wholeReadLimit {
            defer { close(fd) }
            // A file that grows after fstat is read to its size at fstat; one that shrinks, to its end.
            let bytes = try Self.readAt(fd, size: Int(size), at: 0, name: path)
            self.whole = bytes
            self.count = Int64(bytes.count)
            self.fd = -1
        } else {
            self.whole = nil
            self.count = size
            self.fd = fd
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func read(_ range: Range<Int64>) throws(WardenError) -> [UInt8] {
        let lower = max(0, min(range.lowerBound, count))
        let upper = max(lower, min(range.upperBound, count))
        if let whole { return Array(whole[Int(lower)..<Int(upper)]) }
        return try Self.readAt(fd, size: Int(upper - lower), at: lower, name: name)
    }

    /// Reads `size` bytes at `offset`, fewer only at the end of the file.
    private static func readAt(_ fd: Int32, size: Int, at offset: Int64, name: String) throws(WardenError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(offset) + off_t(done)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .io("Cannot read '\(name)': \(FileIO.errnoText())")
            }
            if got == 0 { break }
            done += got
        }
        if done < size { bytes.removeSubrange(done...) }
        return bytes
    }
}

/// Bytes already in memory.
public struct MemorySource: ByteSource {
    public let name: String
    public let bytes: [UInt8]
    public var count: Int64 { Int64(bytes.count) }

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public func read(_ range: Range<Int64>) throws(WardenError) -> [UInt8] {
        let lower = Int(max(0, min(range.lowerBound, count)))
        let upper = Int(max(Int64(lower), min(range.upperBound, count)))
        return Array(bytes[lower..<upper])
    }
}

/// A range of another source, with offsets counted from the range's start.
public struct SliceSource: ByteSource {
    public let name: String
    public let base: any ByteSource
    public let range: Range<Int64>
    public var count: Int64 { range.upperBound - range.lowerBound }

    public init(base: any ByteSource, range: Range<Int64>, name: String) {
        let lower = max(0, min(range.lowerBound, base.count))
        self.base = base
        self.range = lower..<max(lower, min(range.upperBound, base.count))
        self.name = name
    }

    public func read(_ wanted: Range<Int64>) throws(WardenError) -> [UInt8] {
        let lower = max(0, min(wanted.lowerBound, count))
        let upper = max(lower, min(wanted.upperBound, count))
        return try base.read(range.lowerBound + lower..<range.lowerBound + upper)
    }
}

extension Array where Element == UInt8 {
    /// A little-endian unsigned integer of `size` bytes at `offset` (the caller checks bounds).
    func le(_ offset: Int, _ size: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(self[offset + index]) << (8 * UInt64(index)) }
        return value
    }
}
