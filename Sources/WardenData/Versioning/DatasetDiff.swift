import WardenCore

/// Differences between two versions of a dataset: files added, removed and changed and, for CSV
/// and JSONL files, rows added, removed and (with a key column) changed.
public struct DatasetDiff: Sendable {
    public struct RowChanges: Sendable, Equatable {
        public var file: String
        public var added: Int
        public var removed: Int
        public var changed: Int
        /// Header changes of a CSV file (column names added or removed), if any.
        public var columnsAdded: [String]
        public var columnsRemoved: [String]
    }

    public var from: Digest
    public var to: Digest
    public var filesAdded: [String]
    public var filesRemoved: [String]
    public var filesChanged: [String]
    public var rows: [RowChanges]

    public var isEmpty: Bool { filesAdded.isEmpty && filesRemoved.isEmpty && filesChanged.isEmpty }
}

/// Row-level comparison of two text tables, streaming each file once. Rows are compared by their
/// bytes (a multiset: a duplicated row counts twice); with a key (a CSV column or a top-level JSONL
/// field), rows whose key is present in both but whose bytes differ are "changed".
public enum RowDiff: Sendable {
    public enum Format: Sendable {
        case csv, jsonl

        public static func guess(_ path: String) -> Format? {
            let lower = path.lowercased()
            if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") { return .csv }
            if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
            return nil
        }
    }

    /// - Parameters:
    ///   - oldLabel, newLabel: how errors name the two files (default: their paths).
    public static func compare(
        old: String, new: String, format: Format, key: String?, name: String, oldLabel: String? = nil, newLabel: String? = nil
    ) throws -> DatasetDiff.RowChanges {
        let a = try rows(of: old, label: oldLabel ?? old, format: format, key: key)
        let b = try rows(of: new, label: newLabel ?? new, format: format, key: key)
        var counts = a.counts
        var added = 0
        for (row, count) in b.counts {
            let before = counts[row] ?? 0
            if count > before { added += count - before }
            counts[row] = before - min(before, count)
        }
        var removed = counts.values.reduce(0, +)
        var changed = 0
        if key != nil {
            for (k, rowA) in a.byKey {
                if let rowB = b.byKey[k], rowB != rowA { changed += 1 }
            }
            added -= changed
            removed -= changed
        }
        return DatasetDiff.RowChanges(
            file: name, added: max(0, added), removed: max(0, removed), changed: changed,
            columnsAdded: b.header.filter { !a.header.contains($0) }, columnsRemoved: a.header.filter { !b.header.contains($0) })
    }

    struct Rows {
        var header: [String] = []
        var counts: [Digest: Int] = [:]
        var byKey: [String: Digest] = [:]
    }

    static func rows(of path: String, label: String, format: Format, key: String?) throws -> Rows {
        var out = Rows()
        var keyIndex: Int?
        var pending: [UInt8] = []
        let parser = JSONParser(maxDepth: 64, maxBytes: 16 << 20)
        try FileIO.forEachLine(of: path) { line, number in
            var record = line
            if record.last == UInt8(ascii: "\r") { record.removeLast() }
            if format == .csv {
                // A quoted field may hold newlines: gather lines until the quotes balance.
                if !pending.isEmpty { record = pending + [UInt8(ascii: "\n")] + record }
                if record.filter({ $0 == UInt8(ascii: "\"") }).count % 2 == 1 {
                    pending = record
                    return
                }
                pending = []
                if number == 1 || out.header.isEmpty && keyIndex == nil && out.counts.isEmpty {
                    out.header = CSVLine.fields(record)
                    if let key {
                        guard let index = out.header.firstIndex(of: key) else {
                            throw WardenError.invalidInput("'\(label)' has no column '\(key)' (columns: \(out.header.joined(separator: ", ")))")
                        }
                        keyIndex = index
                    }
                    return
                }
            }
            if record.isEmpty { return }
            let digest = Digest.sha256(record)
            out.counts[digest, default: 0] += 1
            guard let key else { return }
            let keyValue: String?
            switch format {
            case .csv:
                let fields = CSVLine.fields(record)
                keyValue = keyIndex.flatMap { $0 < fields.count ? fields[$0] : nil }
            case .jsonl:
                let json = try parser.parse(record, source: "'\(label)' line \(number)")
                keyValue = json[key].map { $0.stringValue ?? $0.canonicalString }
            }
            if let keyValue { out.byKey[keyValue] = digest }
        }
        if !pending.isEmpty { throw WardenError.invalidInput("'\(label)' ends inside a quoted CSV field; the version cannot be compared by rows") }
        return out
    }
}

/// Splits one CSV record (RFC 4180: commas, double quotes, doubled quotes inside quotes).
public enum CSVLine: Sendable {
    public static func fields(_ record: [UInt8]) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = 0
        while index < record.count {
            let byte = record[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < record.count && record[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field = []
            } else {
                field.append(byte)
            }
            index += 1
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }
}
