import WardenCore

/// Alerts as ArcSight Common Event Format lines for a SIEM:
/// `CEF:0|Warden|warden-gateway|VERSION|TYPE|NAME|SEVERITY|EXTENSION`, optionally behind an
/// RFC 5424 syslog header (`<PRI>1 TIME HOST warden - - - CEF:…`) for collectors that expect one.
/// Header fields escape `\` and `|`; extension values escape `\`, `=`, CR and LF, so a client name
/// or detail can never start a new field or line.
public struct CEFFormatter: Sendable {
    public var product: String
    public var version: String
    /// The syslog header's host; nil writes bare CEF lines.
    public var syslogHost: String?

    public init(product: String = "warden-gateway", version: String, syslogHost: String? = nil) {
        self.product = product
        self.version = version
        self.syslogHost = syslogHost
    }

    /// One line (no trailing newline).
    public func line(_ alert: GuardAlert) -> String {
        let header = ["CEF:0", "Warden", product, version, alert.type, Self.name(alert.type), String(alert.severity.cef)].enumerated()
            .map { $0.offset == 0 ? $0.element : Self.header($0.element) }.joined(separator: "|")
        var fields: [(String, String)] = [("end", alert.time), ("suser", alert.client), ("cs1Label", "model"), ("cs1", alert.model)]
        if case .string(let action)? = alert.details["action"] { fields.append(("act", action)) }
        fields.append(("cnt", String(alert.suppressed + 1)))
        fields.append(("cs2Label", "details"))
        fields.append(("cs2", alert.details.compactString))
        let cef = header + "|" + fields.map { "\($0.0)=\(Self.value($0.1))" }.joined(separator: " ")
        guard let syslogHost else { return cef }
        // Facility local0 (16); warning (4) from high severity on, else notice (5).
        let priority = 16 * 8 + (alert.severity >= .high ? 4 : 5)
        return "<\(priority)>1 \(alert.time) \(Self.token(syslogHost)) warden - - - " + cef
    }

    static func name(_ type: String) -> String {
        switch type {
        case "extraction": "Model extraction suspected"
        case "adversarial": "Adversarial or out-of-distribution query"
        case "drift": "Input or prediction drift"
        case "rate_limit": "Client over its rate or budget"
        case "overload": "Gateway at its concurrency limit"
        case "blocked": "Blocked client refused"
        default: "Gateway alert"
        }
    }

    static func header(_ text: String) -> String {
        clean(text).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
    }

    static func value(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "=", with: "\\=")
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Header fields and the syslog host: no line breaks or control characters.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    static func token(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.isASCII && $0.value > 32 && $0.value < 127 }))
        return cleaned.isEmpty ? "-" : String(cleaned.prefix(255))
    }
}
