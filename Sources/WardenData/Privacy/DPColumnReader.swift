import Crypto
import WardenCore

/// Streams one column of a CSV file (by header name) or one key path of a JSONL file (`a.b`) into
/// a ``DPAggregator``, hashing the file on the way so the ledger can name the data it spent on.
public enum DPColumnReader {
    /// Feeds every row's value of `column` to `aggregator`; returns the file's SHA-256 digest.
    /// - Throws: ``WardenError``: `io` if unreadable, `invalidInput` naming the line for malformed
    ///   input, or when a CSV file has no such column.
    public static func read(_ path: String, column: String, into aggregator: inout DPAggregator) throws -> WardenCore.Digest {
        let size = try FileIO.size(of: path)
        var head: [UInt8] = []
        if size > 0 { try FileIO.forEachChunk(of: path, range: 0..<min(512, size)) { head += $0 } }
        var hasher = SHA256()
        switch PIIFileFormat.detect(path: path, firstBytes: head) {
        case .csv, .text:
            let delimiter = path.lowercased().hasSuffix(".tsv") ? UInt8(ascii: "\t") : UInt8(ascii: ",")
            var reader = CSVReader(source: "'\(path)'", delimiter: delimiter)
            var index: Int?
            var width = 0
            func handle(_ record: CSVReader.Record) throws {
                guard let index else {
                    let names = record.fields.map { String(decoding: $0.value, as: UTF8.self) }
                    guard let found = names.firstIndex(of: column) else {
                        throw WardenError.invalidInput("'\(path)' has no column '\(column)' (columns: \(names.joined(separator: ", ")))")
                    }
                    index = found
                    width = names.count
                    return
                }
                if record.isBlank { return }
                guard record.fields.count == width else {
                    throw WardenError.invalidInput("'\(path)' line \(record.line) has \(record.fields.count) field(s); the header has \(width)")
                }
                aggregator.add(String(validating: record.fields[index].value, as: UTF8.self))
            }
            try FileIO.forEachChunk(of: path) { chunk in
                hasher.update(bufferPointer: chunk)
                try reader.feed(chunk, handle)
            }
            try reader.finish(handle)
            guard index != nil else { throw WardenError.invalidInput("'\(path)' is empty: it has no header row") }
        case .jsonl:
            let parser = JSONParser(maxDepth: 64, maxBytes: 16 << 20)
            let keys = column.split(separator: ".").map(String.init)
            try FileIO.forEachLine(of: path, onChunk: { hasher.update(bufferPointer: $0) }) { line, number in
                var bytes = line
                if bytes.last == 0x0D { bytes.removeLast() }
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                var value: JSONValue? = try parser.parse(bytes, source: "'\(path)' line \(number)")
                for key in keys { value = value?[key] }
                switch value {
                case .int(let i)?: aggregator.add(Double(i))
                case .double(let d)?: aggregator.add(d)
                case .string(let s)?: aggregator.add(s)
                default: aggregator.add(nil as String?)
                }
            }
        }
        return try WardenCore.Digest(bytes: Array(hasher.finalize()))
    }
}
