import WardenCore

/// A ZIP archive read from its central directory (zip64 included), for scanning: members are
/// listed without reading their data, and read (stored or DEFLATE) only on request and up to a
/// limit. Member names are data, never paths: nothing here touches the file system.
public struct ZipArchive: Sendable {
    /// One member as the central directory describes it.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var method: UInt16
        public var flags: UInt16
        public var compressedSize: Int64
        public var uncompressedSize: Int64
        public var localHeaderOffset: Int64
        public var crc32: UInt32

        public var isDirectory: Bool { name.hasSuffix("/") }
        public var isEncrypted: Bool { flags & 1 != 0 }
    }

    public let source: any ByteSource
    public let entries: [Entry]
    /// Oddities that do not stop reading but can hide content (reported by scanners).
    public let anomalies: [String]
    /// Bytes before the archive's first byte (a self-extractor stub, or a polyglot's other half);
    /// the directory's offsets are relative to the archive, as Python's zipfile reads them.
    public let prefixLength: Int64

    /// The most members read from a central directory.
    public static let maxEntries = 200_000

    /// Whether `prefix` starts like a ZIP archive (local header or an empty archive's end record).
    public static func looksLikeZip(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4b
            && ((prefix[2] == 3 && prefix[3] == 4) || (prefix[2] == 5 && prefix[3] == 6))
    }

    public init(source: any ByteSource) throws(WardenError) {
        self.source = source
        let size = source.count
        let tailStart = max(0, size - 65_557)
        let tail = try source.read(tailStart..<size)
        guard tail.count >= 22, let end = Self.endRecordIndex(in: tail) else {
            throw WardenError.invalidInput("'\(source.name)' is not a readable ZIP archive (no end-of-central-directory record)")
        }
        guard end + 22 <= tail.count else { throw WardenError.invalidInput("'\(source.name)': truncated ZIP end record") }
        var count = Int64(tail.le(end + 10, 2))
        var directorySize = Int64(tail.le(end + 12, 4))
        var directoryOffset = Int64(tail.le(end + 16, 4))
        var anomalies: [String] = []
        var prefix: Int64 = 0
        let endAbsolute = tailStart + Int64(end)
        // zip64: the locator sits just before the end record.
        if end >= 20, tail[end - 20] == 0x50, tail[end - 19] == 0x4b, tail[end - 18] == 6, tail[end - 17] == 7 {
            let recordOffset = Int64(bitPattern: tail.le(end - 20 + 8, 8))
            guard recordOffset >= 0, recordOffset < size else { throw .invalidInput("'\(source.name)': broken zip64 end record") }
            let record = try source.read(recordOffset..<recordOffset + 56)
            guard record.count == 56, record[0] == 0x50, record[1] == 0x4b, record[2] == 6, record[3] == 6 else {
                throw WardenError.invalidInput("'\(source.name)': broken zip64 end record")
            }
            count = Int64(bitPattern: record.le(32, 8))
            directorySize = Int64(bitPattern: record.le(40, 8))
            directoryOffset = Int64(bitPattern: record.le(48, 8))
        } else if directoryOffset + directorySize < endAbsolute {
            // Data before the archive: Python's zipfile shifts every offset by its length.
            prefix = endAbsolute - directorySize - directoryOffset
            directoryOffset += prefix
            anomalies.append("\(prefix) bytes precede the archive")
        }
        guard count >= 0, count <= Int64(Self.maxEntries) else {
            throw WardenError.invalidInput("'\(source.name)' declares \(count) members; more than \(Self.maxEntries) is refused")
        }
        guard directoryOffset >= 0, directorySize >= 0, directorySize <= 64 << 20, directoryOffset + directorySize <= size else {
            throw WardenError.invalidInput("'\(source.name)': the ZIP central directory lies outside the file")
        }
        let directory = try source.read(directoryOffset..<directoryOffset + directorySize)
        var entries: [Entry] = []
        var offset = 0
        var names = Set<String>()
        for _ in 0..<count {
            guard offset + 46 <= directory.count, directory.le(offset, 4) == 0x0201_4b50 else {
                throw WardenError.invalidInput("'\(source.name)': corrupt ZIP central directory entry \(entries.count)")
            }
            let flags = UInt16(directory.le(offset + 8, 2))
            let method = UInt16(directory.le(offset + 10, 2))
            let crc = UInt32(directory.le(offset + 16, 4))
            var compressed = Int64(directory.le(offset + 20, 4))
            var uncompressed = Int64(directory.le(offset + 24, 4))
            let nameLength = Int(directory.le(offset + 28, 2))
            let extraLength = Int(directory.le(offset + 30, 2))
            let commentLength = Int(directory.le(offset + 32, 2))
            var local = Int64(directory.le(offset + 42, 4))
            let nameStart = offset + 46
            guard nameStart + nameLength + extraLength + commentLength <= directory.count else {
                throw WardenError.invalidInput("'\(source.name)': corrupt ZIP central directory entry \(entries.count)")
            }
            let name = String(decoding: directory[nameStart..<nameStart + nameLength], as: UTF8.self)
            // zip64 extra field: the 64-bit values replace the 0xFFFFFFFF ones, in order.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = directory.le(extra, 2)
                let length = Int(directory.le(extra + 2, 2))
                guard extra + 4 + length <= extraEnd else { break }
                if id == 1 {
                    var field = extra + 4
                    func next() -> Int64? {
                        guard field + 8 <= extra + 4 + length else { return nil }
                        defer { field += 8 }
                        return Int64(bitPattern: directory.le(field, 8))
                    }
                    if uncompressed == 0xFFFF_FFFF, let value = next() { uncompressed = value }
                    if compressed == 0xFFFF_FFFF, let value = next() { compressed = value }
                    if local == 0xFFFF_FFFF, let value = next() { local = value }
                }
                extra += 4 + length
            }
            local += prefix
            if !names.insert(name).inserted { anomalies.append("member '\(name)' appears more than once") }
            if compressed < 0 || uncompressed < 0 || local < 0 || local >= size {
                anomalies.append("member '\(name)' has sizes or an offset outside the archive")
            }
            entries.append(Entry(
                name: name, method: method, flags: flags, compressedSize: compressed,
                uncompressedSize: uncompressed, localHeaderOffset: local, crc32: crc))
            offset = nameStart + nameLength + extraLength + commentLength
        }
        // Members whose data overlap (a zip-bomb construction, or two names for one content).
        let ordered = entries.filter { $0.localHeaderOffset >= 0 && $0.compressedSize >= 0 }.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(ordered, ordered.dropFirst()) {
            let (aEnd, overflow) = a.localHeaderOffset.addingReportingOverflow(30 + Int64(a.name.utf8.count) + a.compressedSize)
            if overflow || aEnd > b.localHeaderOffset {
                anomalies.append("members '\(a.name)' and '\(b.name)' overlap")
                break
            }
        }
        self.entries = entries
        self.anomalies = anomalies
        self.prefixLength = prefix
    }

    /// Where the member's data starts (after its local header).
    public func dataOffset(of entry: Entry) throws(WardenError) -> Int64 {
        let header = try source.read(entry.localHeaderOffset..<entry.localHeaderOffset + 30)
        guard header.count == 30, header.le(0, 4) == 0x0403_4b50 else {
            throw .invalidInput("'\(source.name)': member '\(entry.name)' has no local header where the directory says")
        }
        let start = entry.localHeaderOffset + 30 + Int64(header.le(26, 2)) + Int64(header.le(28, 2))
        guard entry.compressedSize >= 0, start + entry.compressedSize <= source.count else {
            throw .invalidInput("'\(source.name)': member '\(entry.name)' extends past the end of the archive")
        }
        return start
    }

    /// Reads a member whole, refusing more than `limit` decompressed bytes.
    /// - Throws: ``Decompressor/LimitExceeded`` over the limit; `unsupported` for encrypted members
    ///   or compression methods other than stored and DEFLATE; `invalidInput` when corrupt.
    public func read(_ entry: Entry, limit: Int) throws -> [UInt8] {
        try checkReadable(entry)
        let start = try dataOffset(of: entry)
        if entry.method == 0 {
            guard entry.compressedSize <= Int64(limit) else { throw Decompressor.LimitExceeded(limit: limit) }
            return try source.read(start..<start + entry.compressedSize)
        }
        return try Decompressor.decompress(.deflate, from: source, range: start..<start + entry.compressedSize, limit: limit)
    }

    /// A stored member as a view of the archive (nothing is read or copied); nil when compressed.
    public func storedSource(_ entry: Entry, name: String) throws(WardenError) -> SliceSource? {
        try checkReadable(entry)
        guard entry.method == 0 else { return nil }
        let start = try dataOffset(of: entry)
        return source.slice(start..<start + entry.compressedSize, name: name)
    }

    /// The first `count` bytes of a member (to sniff its format) without reading the rest.
    public func prefix(of entry: Entry, count: Int) throws -> [UInt8] {
        try checkReadable(entry)
        let start = try dataOffset(of: entry)
        if entry.method == 0 {
            return try source.read(start..<start + min(entry.compressedSize, Int64(count)))
        }
        return try Decompressor.prefix(.deflate, from: source, range: start..<start + entry.compressedSize, count: count)
    }

    func checkReadable(_ entry: Entry) throws(WardenError) {
        guard !entry.isEncrypted else {
            throw .unsupported("'\(source.name)': member '\(entry.name)' is encrypted")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw .unsupported("'\(source.name)': member '\(entry.name)' uses compression method \(entry.method) (only stored and DEFLATE are read)")
        }
    }

    /// The last end-of-central-directory signature whose comment length matches the bytes after it
    /// (falling back to the last signature at all).
    package static func endRecordIndex(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 22 else { return nil }
        var index = bytes.count - 22
        var fallback: Int?
        while index >= 0 {
            if bytes[index] == 0x50 && bytes[index + 1] == 0x4b && bytes[index + 2] == 5 && bytes[index + 3] == 6 {
                if index + 22 + Int(bytes.le(index + 20, 2)) == bytes.count { return index }
                if fallback == nil { fallback = index }
            }
            index -= 1
        }
        return fallback
    }
}
