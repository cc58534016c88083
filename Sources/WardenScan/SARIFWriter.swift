import WardenCore

/// Writes a ``ScanReport`` as SARIF 2.1.0, as GitHub code scanning reads it: one run, the rules
/// that fired (with `security-severity`), and one result per finding located at the file (and
/// the byte offset when known; archive members are named in the message and properties).
public struct SARIFWriter: Sendable {
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    public init() {}

    /// The SARIF log as a JSON value.
    public func document(for report: ScanReport) -> JSONValue {
        var ruleIDs: [String] = []
        for finding in report.findings where !ruleIDs.contains(finding.rule) { ruleIDs.append(finding.rule) }
        let rules: [JSONValue] = ruleIDs.map { id in
            let rule = ScanRule.named(id) ?? ScanRule(id, id, .medium, id)
            return .object([
                ("id", .string(rule.id)),
                ("name", .string(Self.pascalCase(rule.id))),
                ("shortDescription", .object([("text", .string(rule.title))])),
                ("fullDescription", .object([("text", .string(rule.summary))])),
                ("help", .object([("text", .string(rule.summary))])),
                ("defaultConfiguration", .object([("level", .string(Self.level(rule.defaultSeverity)))])),
                ("properties", .object([
                    ("tags", .array(["security", "model-file"])),
                    ("security-severity", .string(Self.securitySeverity(rule.defaultSeverity))),
                ])),
            ])
        }
        var results: [JSONValue] = []
        for file in report.files {
            for finding in file.findings {
                var region: [(String, JSONValue)] = [("startLine", .int(1))]
                if let offset = finding.location.offset, finding.location.member == nil { region.append(("byteOffset", .int(offset))) }
                var text = finding.message
                if let member = finding.location.member { text += " (in member '\(member)'" + (finding.location.offset.map { " at byte \($0)" } ?? "") + ")" }
                text += ". Fix: " + finding.fix
                var properties: [(String, JSONValue)] = [("severity", .string(finding.severity.rawValue)), ("format", .string(file.format.rawValue))]
                if let construct = finding.construct { properties.append(("construct", .string(construct))) }
                if let member = finding.location.member { properties.append(("member", .string(member))) }
                if let offset = finding.location.offset { properties.append(("offset", .int(offset))) }
                results.append(.object([
                    ("ruleId", .string(finding.rule)),
                    ("ruleIndex", .int(Int64(ruleIDs.firstIndex(of: finding.rule) ?? 0))),
                    ("level", .string(Self.level(finding.severity))),
                    ("message", .object([("text", .string(text))])),
                    ("locations", .array([.object([
                        ("physicalLocation", .object([
                            ("artifactLocation", .object([("uri", .string(Self.uri(file.path)))])),
                            ("region", .object(region)),
                        ])),
                    ])])),
                    ("partialFingerprints", .object([
                        ("wardenFinding/v1", .string(Digest.sha256(Array("\(file.path)|\(finding.rule)|\(finding.construct ?? "")|\(finding.location.member ?? "")".utf8)).hex)),
                    ])),
                    ("properties", .object(properties)),
                ]))
            }
        }
        let run: JSONValue = .object([
            ("tool", .object([("driver", .object([
                ("name", "Warden"),
                ("version", .string(report.scanner)),
                ("informationUri", "https://github.com/warden-ml/warden"),
                ("rules", .array(rules)),
            ]))])),
            ("results", .array(results)),
            ("columnKind", "unicodeCodePoints"),
        ])
        return .object([("$schema", .string(Self.schemaURI)), ("version", "2.1.0"), ("runs", .array([run]))])
    }

    /// SARIF `level`: error for high and critical, warning for medium, note below.
    static func level(_ severity: Severity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// GitHub's `security-severity` score (critical ≥ 9, high 7–8.9, medium 4–6.9, low < 4).
    static func securitySeverity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: "0.0"
        }
    }

    /// A relative path stays a relative URI reference (what GitHub expects); an absolute path becomes a file URI.
    static func uri(_ path: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var out = ""
        for byte in path.utf8 {
            if allowed.contains(byte) { out.append(Character(Unicode.Scalar(byte))) } else { out += String(format2: byte) }
        }
        while out.hasPrefix("./") { out.removeFirst(2) }
        return path.hasPrefix("/") ? "file://" + out : out
    }

    static func pascalCase(_ id: String) -> String {
        id.split(whereSeparator: { $0 == "." || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

extension String {
    /// `%XX` for one byte.
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
    }
}
