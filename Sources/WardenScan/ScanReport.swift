import WardenCore

/// What a scan found, per file: the detected format, every finding and a verdict. Codable; its
/// JSON form is the stable schema documented in docs/scanning.md (`schema` names its version).
public struct ScanReport: Sendable, Codable, Equatable {
    /// The version of this report's JSON schema.
    public static let schemaVersion = "warden.scan/v1"

    /// One scanned file.
    public struct File: Sendable, Codable, Equatable {
        /// The path as given (directories expanded to their files).
        public var path: String
        public var size: Int64
        /// The format detected from the content (never from the extension).
        public var format: ModelFormat
        public var findings: [Finding]
        public var verdict: Verdict

        public init(path: String, size: Int64, format: ModelFormat, findings: [Finding], verdict: Verdict) {
            self.path = path
            self.size = size
            self.format = format
            self.findings = findings
            self.verdict = verdict
        }

        /// The most serious finding's severity, nil when there is none.
        public var highestSeverity: Severity? { findings.map(\.severity).max() }
    }

    /// A file's verdict against the report's threshold.
    public enum Verdict: String, Sendable, Codable, Equatable {
        /// No finding above `info`.
        case clean
        /// Findings, none reaching the threshold.
        case warning
        /// A finding reaches the threshold.
        case unsafe
        /// The format is not one Warden analyses.
        case notAnalysed = "not-analysed"
    }

    public var schema = ScanReport.schemaVersion
    /// Warden's scanner version that wrote the report.
    public var scanner: String
    /// The severity at which a finding makes a file unsafe.
    public var threshold: Severity
    public var files: [File]

    public init(scanner: String = Scanner.version, threshold: Severity, files: [File]) {
        self.scanner = scanner
        self.threshold = threshold
        self.files = files
    }

    /// Every finding of every file.
    public var findings: [Finding] { files.flatMap(\.findings) }

    /// The most serious severity found, nil when nothing was.
    public var highestSeverity: Severity? { files.compactMap(\.highestSeverity).max() }

    /// Whether any finding reaches `severity`.
    public func hasFinding(atLeast severity: Severity) -> Bool {
        files.contains { file in file.findings.contains { $0.severity >= severity } }
    }

    /// Whether any finding reaches the report's threshold (the CLI exits 1 then).
    public var failed: Bool { hasFinding(atLeast: threshold) }

    /// How many findings of each severity.
    public var counts: [Severity: Int] {
        var counts: [Severity: Int] = [:]
        for finding in findings { counts[finding.severity, default: 0] += 1 }
        return counts
    }
}
