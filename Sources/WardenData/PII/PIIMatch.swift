/// One piece of PII found in a value: its type, where it is, and which rule found it.
public struct PIIMatch: Sendable, Hashable {
    /// What was found.
    public var type: PIIType
    /// Byte offsets into the value's UTF-8 encoding.
    public var range: Range<Int>
    /// The rule that matched, for reports: `visa`, `nanp`, `github_token`, `high_entropy`, ….
    public var rule: String

    public init(type: PIIType, range: Range<Int>, rule: String) {
        self.type = type
        self.range = range
        self.rule = rule
    }
}
