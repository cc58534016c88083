import WardenCore

/// What a PII scan or masking pass found in a file: counts per field and type, and sample
/// locations with the values masked (a report never holds PII in full).
public struct PIIScanReport: Sendable, Codable, Equatable {
    /// How many matches of one type one field held.
    public struct FieldCount: Sendable, Codable, Equatable {
        /// The CSV column, the JSON key path, or `(text)`.
        public var field: String
        public var type: PIIType
        public var count: Int
    }

    /// One place where PII was found.
    public struct Sample: Sendable, Codable, Equatable {
        /// The 1-based data row (CSV, after the header), JSON line or text line.
        public var row: Int
        /// The 1-based line of the file where the row starts.
        public var line: Int
        public var field: String
        public var type: PIIType
        /// The detector rule (`visa`, `nanp`, `github_token`, …).
        public var rule: String
        /// The value in ``PIIMaskingMode/partial`` form.
        public var masked: String
    }

    public var file: String
    /// The SHA-256 of the bytes scanned (hashed in the same pass), for the audit chain.
    public var digest: Digest?
    public var format: PIIFileFormat
    /// Rows, JSON lines or text lines read.
    public var rows: Int
    /// Matches per type name.
    public var totals: [String: Int]
    /// Matches per field and type, fields in file order.
    public var fields: [FieldCount]
    public var samples: [Sample]

    /// All matches.
    public var total: Int { totals.values.reduce(0, +) }

    public init(file: String, format: PIIFileFormat, rows: Int = 0, totals: [String: Int] = [:], fields: [FieldCount] = [], samples: [Sample] = []) {
        self.file = file
        self.format = format
        self.rows = rows
        self.totals = totals
        self.fields = fields
        self.samples = samples
    }
}
