/// How serious a finding is, from `info` (worth knowing) to `critical` (code execution).
///
/// Ordered: `Severity.high > .medium`. The raw values are the lowercase names used in reports,
/// in `--fail-on` and by the registry's scan gate.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case info, low, medium, high, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}

/// One problem an analysis found in an input: what rule fired, how serious it is, the offending
/// construct, where it sits, and how to fix it.
public struct Finding: Sendable, Codable, Hashable {
    /// Where the finding sits inside the scanned file.
    public struct Location: Sendable, Codable, Hashable {
        /// The archive member (nested members joined with `!`, e.g. `outer.zip!model.pt!archive/data.pkl`),
        /// nil for the file itself.
        public var member: String?
        /// Byte offset inside the member (or the file), when known.
        public var offset: Int64?

        public init(member: String? = nil, offset: Int64? = nil) {
            self.member = member
            self.offset = offset
        }
    }

    public var severity: Severity
    /// A stable identifier of the rule, e.g. `pickle.denylisted-global`.
    public var rule: String
    /// What was found, in one sentence.
    public var message: String
    /// The offending construct, e.g. the global `posix.system` or the op `ReadFile`.
    public var construct: String?
    public var location: Location
    /// How to fix or avoid the problem.
    public var fix: String

    public init(
        severity: Severity, rule: String, message: String, construct: String? = nil,
        location: Location = Location(), fix: String
    ) {
        self.severity = severity
        self.rule = rule
        self.message = message
        self.construct = construct
        self.location = location
        self.fix = fix
    }
}
