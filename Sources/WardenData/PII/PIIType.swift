/// A kind of personal or secret data that the detectors find.
///
/// An extensible set (a struct around a raw name), so new detectors add members without breaking
/// `switch`es in callers. The raw name is what reports and `--json` output use.
public struct PIIType: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The stable, lowercase name used in reports (`email`, `credit_card`, …).
    public let rawValue: String

    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// An e-mail address.
    public static let email = PIIType("email")
    /// A telephone number: NANP, E.164 or a common national format (UK, DE, FR, IN).
    public static let phone = PIIType("phone")
    /// A US Social Security number outside the never-issued ranges.
    public static let ssn = PIIType("ssn")
    /// A payment card number with a known issuer prefix and a valid Luhn check digit.
    public static let creditCard = PIIType("credit_card")
    /// An IBAN with the right length for its country and a valid mod-97 check.
    public static let iban = PIIType("iban")
    /// An IPv4 address.
    public static let ipv4 = PIIType("ipv4")
    /// An IPv6 address.
    public static let ipv6 = PIIType("ipv6")
    /// A credential: a key with a known prefix, a private key, a JWT or a high-entropy token.
    public static let secret = PIIType("secret")

    /// Every type, in report order.
    public static let allCases: [PIIType] = [.email, .phone, .ssn, .creditCard, .iban, .ipv4, .ipv6, .secret]

    /// The type named `name` (as in reports), or nil.
    public init?(name: String) {
        guard let found = PIIType.allCases.first(where: { $0.rawValue == name.lowercased() }) else { return nil }
        self = found
    }

    /// The tag that `redact` masking writes: `[EMAIL]`, `[CARD]`, ….
    public var redactionTag: String {
        switch rawValue {
        case "credit_card": "[CARD]"
        case "ipv4", "ipv6": "[IP]"
        default: "[\(rawValue.uppercased())]"
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: PIIType, rhs: PIIType) -> Bool {
        let l = allCases.firstIndex(of: lhs) ?? Int.max
        let r = allCases.firstIndex(of: rhs) ?? Int.max
        return l == r ? lhs.rawValue < rhs.rawValue : l < r
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let type = PIIType(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "Unknown PII type '\(name)'"))
        }
        self = type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
