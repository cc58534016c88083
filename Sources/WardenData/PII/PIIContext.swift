/// What is known about where a value sits: the CSV column or JSON key path holding it.
///
/// Some formats are only PII in context: nine bare digits are an SSN in a column called `ssn` and
/// an order number elsewhere; a 40-character hex string is an API key under `api_key` and a
/// commit hash under `sha`. Detectors consult the context for exactly those cases.
public struct PIIContext: Sendable, Hashable {
    /// The column name (CSV) or key path (JSONL), lowercased; nil for plain text.
    public var field: String?

    public init(field: String? = nil) {
        self.field = field?.lowercased()
    }

    /// Plain text: no field name.
    public static let none = PIIContext()

    func fieldContains(_ words: [String]) -> Bool {
        guard let field else { return false }
        return words.contains { field.contains($0) }
    }

    var suggestsSSN: Bool { fieldContains(["ssn", "social_security", "socialsecurity", "social security", "tax_id", "taxid"]) }
    var suggestsPhone: Bool { fieldContains(["phone", "tel", "mobile", "cell", "fax", "msisdn"]) }
    var suggestsCredential: Bool {
        fieldContains(["key", "token", "secret", "password", "passwd", "pwd", "auth", "credential", "bearer"])
    }
    var suggestsDigest: Bool {
        fieldContains(["sha", "md5", "hash", "digest", "checksum", "commit", "etag", "fingerprint", "crc", "revision"])
    }
}
