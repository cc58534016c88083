/// Finds PII in text values: e-mail addresses, phone numbers, SSNs, payment cards, IBANs, IP
/// addresses and secrets.
///
/// Every number-shaped type is validated (Luhn, mod-97, SSA ranges, NANP rules, octet ranges), so
/// look-alikes — order numbers, invalid cards, impossible SSNs, version strings, dates, UUIDs and
/// digests — are not reported. Detectors run in a fixed priority order (secrets with a known shape,
/// e-mail, IBAN, IPv6, numbers, then high-entropy tokens) and a later detector never reports bytes an
/// earlier one claimed. Stateless and `Sendable`: one detector serves many threads.
public struct PIIDetector: Sendable {
    /// The types reported; others are ignored.
    public var types: Set<PIIType>

    public init(types: Set<PIIType> = Set(PIIType.allCases)) {
        self.types = types
    }

    /// The PII in `value`, sorted by position, without overlaps.
    /// - Parameters:
    ///   - value: the text to search (a CSV field, a JSON string, a line).
    ///   - context: the field's name, which decides the context-dependent cases.
    public func matches(in value: String, context: PIIContext = .none) -> [PIIMatch] {
        matches(in: Array(value.utf8), context: context)
    }

    /// The PII in UTF-8 `bytes`, sorted by position, without overlaps.
    public func matches(in bytes: [UInt8], context: PIIContext = .none) -> [PIIMatch] {
        guard bytes.count >= 6 else { return [] }  // the shortest: "a@b.io"
        var accepted: [PIIMatch] = []
        var candidates: [PIIMatch] = []
        func take() {
            for match in candidates where types.contains(match.type) {
                if !accepted.contains(where: { $0.range.overlaps(match.range) }) { accepted.append(match) }
            }
            candidates.removeAll(keepingCapacity: true)
        }
        SecretDetector.findKnown(in: bytes, &candidates)
        take()
        if bytes.contains(UInt8(ascii: "@")) {
            EmailDetector.find(in: bytes, &candidates)
            take()
        }
        IBANValidator.find(in: bytes, &candidates)
        take()
        if bytes.contains(UInt8(ascii: ":")) {
            IPAddressValidator.findIPv6(in: bytes, &candidates)
            take()
        }
        NumberDetector.find(in: bytes, context: context, &candidates)
        take()
        if bytes.count >= 20 {
            SecretDetector.findHighEntropy(in: bytes, context: context, &candidates)
            take()
        }
        return accepted.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }
}
