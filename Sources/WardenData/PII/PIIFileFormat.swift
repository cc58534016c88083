/// The layouts ``PIIScanner`` reads.
public enum PIIFileFormat: String, Sendable, CaseIterable, Codable {
    /// RFC 4180 CSV with a header row (`.tsv`: tab-separated); findings are per column.
    case csv
    /// One JSON value per line; findings are per key path (`user.email`, `items[].phone`).
    case jsonl
    /// Any UTF-8 text, line by line.
    case text

    /// The format a file name suggests, sniffing the first bytes when the extension says nothing.
    public static func detect(path: String, firstBytes: [UInt8]) -> PIIFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonl }
        if lower.hasSuffix(".txt") || lower.hasSuffix(".log") || lower.hasSuffix(".md") { return .text }
        if let first = firstBytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }),
            first == UInt8(ascii: "{")
        {
            return .jsonl
        }
        return .text
    }
}
