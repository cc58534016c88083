import WardenCore

/// One alert of the gateway as its sinks receive it (the JSONL file, the webhook, CEF lines):
/// when, what (`extraction`, `adversarial`, `drift`, `rate_limit`, `overload`, `blocked`), how
/// bad, which client (the token's name) and model, the detector's details, and how many repeats
/// were folded into it.
public struct GuardAlert: Sendable, Equatable {
    /// How bad an alert is; playbooks act from a minimum severity on.
    public enum Severity: String, Sendable, CaseIterable, Comparable {
        case low, medium, high, critical

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

        /// The CEF severity (0…10).
        public var cef: Int {
            switch self {
            case .low: 3
            case .medium: 5
            case .high: 8
            case .critical: 10
            }
        }
    }

    /// RFC 3339, UTC.
    public var time: String
    public var type: String
    public var severity: Severity
    public var client: String
    public var model: String
    public var details: JSONValue
    /// Repeats of the same type, client and model folded into this alert.
    public var suppressed: Int

    public init(time: String, type: String, severity: Severity? = nil, client: String, model: String, details: JSONValue, suppressed: Int = 0) {
        self.time = time
        self.type = type
        self.severity = severity ?? Self.severity(of: type)
        self.client = client
        self.model = model
        self.details = details
        self.suppressed = suppressed
    }

    /// The default severity of each alert type: extraction is an attack on the model (high);
    /// adversarial queries and drift threaten its answers (medium); limits doing their job are low.
    public static func severity(of type: String) -> Severity {
        switch type {
        case "extraction": .high
        case "adversarial", "drift": .medium
        default: .low
        }
    }

    /// The JSONL form: `time`, `type`, `severity`, `client`, `model`, `details`, and `suppressed` when > 0.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("time", .string(time)), ("type", .string(type)), ("severity", .string(severity.rawValue)), ("client", .string(client)),
            ("model", .string(model)), ("details", details),
        ]
        if suppressed > 0 { fields.append(("suppressed", .int(Int64(suppressed)))) }
        return .object(fields)
    }
}
