/// How ``PIIMasker`` replaces what it finds.
public enum PIIMaskingMode: String, Sendable, CaseIterable, Codable {
    /// A type tag: `[EMAIL]`, `[PHONE]`, `[SSN]`, `[CARD]`, `[IBAN]`, `[IP]`, `[SECRET]`.
    case redact
    /// Keep what identifies little: the last four digits of cards and SSNs, the last two of phone
    /// numbers, an e-mail's domain, an IBAN's country, an address's /16 network, a key's prefix.
    case partial
    /// A keyed, stable pseudonym (``PIIPseudonymizer``).
    case pseudonym
}
