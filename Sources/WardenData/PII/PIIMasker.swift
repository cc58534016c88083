import WardenCore

/// Replaces the PII that ``PIIDetector`` finds in a value, in one of three ``PIIMaskingMode``s.
public struct PIIMasker: Sendable {
    public var detector: PIIDetector
    public var mode: PIIMaskingMode
    /// Required in `pseudonym` mode.
    public var pseudonymizer: PIIPseudonymizer?

    /// - Throws: ``WardenError`` (`invalidInput`) when `pseudonym` mode has no pseudonymizer.
    public init(mode: PIIMaskingMode, detector: PIIDetector = PIIDetector(), pseudonymizer: PIIPseudonymizer? = nil)
        throws(WardenError)
    {
        if mode == .pseudonym && pseudonymizer == nil {
            throw .invalidInput("Pseudonym masking needs a secret; pass --secret-env VAR naming an environment variable that holds it")
        }
        self.mode = mode
        self.detector = detector
        self.pseudonymizer = pseudonymizer
    }

    /// The masked value and what was found in it (ranges refer to the original value).
    public func mask(_ value: String, context: PIIContext = .none) -> (masked: String, matches: [PIIMatch]) {
        let bytes = Array(value.utf8)
        let matches = detector.matches(in: bytes, context: context)
        guard !matches.isEmpty else { return (value, []) }
        return (String(decoding: apply(matches, to: bytes), as: UTF8.self), matches)
    }

    /// `bytes` with every match replaced.
    func apply(_ matches: [PIIMatch], to bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = 0
        for match in matches {
            out += bytes[at..<match.range.lowerBound]
            let original = String(decoding: bytes[match.range], as: UTF8.self)
            out += replacement(for: original, match: match).utf8
            at = match.range.upperBound
        }
        out += bytes[at...]
        return out
    }

    func replacement(for original: String, match: PIIMatch) -> String {
        switch mode {
        case .redact: return match.type.redactionTag
        case .partial: return Self.partial(original, match: match)
        case .pseudonym: return pseudonymizer!.pseudonym(for: original, type: match.type)
        }
    }

    /// The partial form of a match: what reports show instead of the value.
    public static func partial(_ original: String, match: PIIMatch) -> String {
        switch match.type {
        case .email:
            guard let at = original.lastIndex(of: "@") else { return match.type.redactionTag }
            return String(original.prefix(1)) + "***" + String(original[at...])
        case .creditCard, .ssn: return keepLastDigits(original, 4)
        case .phone: return keepLastDigits(original, 2)
        case .iban:
            var kept = 0
            let total = original.filter { $0 != " " }.count
            return String(original.map { c -> Character in
                if c == " " { return c }
                kept += 1
                return kept <= 2 || kept > total - 4 ? c : "*"
            })
        case .ipv4:
            let octets = original.split(separator: ".")
            return octets.count == 4 ? "\(octets[0]).\(octets[1]).*.*" : "[IP]"
        case .ipv6:
            let groups = original.split(separator: ":", omittingEmptySubsequences: false)
            return groups.count >= 2 ? "\(groups[0]):\(groups[1]):*" : "[IP]"
        case .secret:
            for p in SecretDetector.prefixes where original.hasPrefix(p.prefix.description) {
                return p.prefix.description + "****"
            }
            return match.type.redactionTag
        default:
            return match.type.redactionTag
        }
    }

    static func keepLastDigits(_ text: String, _ keep: Int) -> String {
        let digitCount = text.filter { $0.isASCII && $0.isNumber }.count
        var seen = 0
        return String(text.map { c -> Character in
            guard c.isASCII && c.isNumber else { return c }
            seen += 1
            return seen > digitCount - keep ? c : "*"
        })
    }
}
