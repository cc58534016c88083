import Crypto
import WardenCore

/// Keyed pseudonyms: HMAC-SHA256 of the normalised value under a secret, so the same value maps to
/// the same token in every run and every file masked with the same secret, and nobody without the
/// secret can link a token back to a value (or test a guess).
///
/// Tokens keep a little of the original shape so downstream parsers still work:
/// `email_1a2b3c4d5e6f@pseudo.invalid`, `240.x.y.z` (IPv4's reserved class E, never routable),
/// `2001:db8:…` (IPv6's documentation prefix), and `<type>_<12 hex>` for the rest
/// (`phone_…`, `ssn_…`, `card_…`, `iban_…`, `secret_…`). 12 hex digits are 48 bits: two distinct
/// values share a token with probability ≈ n²/2⁴⁹ (one in a million at 23 000 values of one type).
public struct PIIPseudonymizer: Sendable {
    private let key: SymmetricKey

    /// The shortest secret accepted, in bytes.
    public static let minimumSecretLength = 16

    /// - Parameter secret: the HMAC key (at least 16 bytes; 32 random bytes recommended).
    /// - Throws: ``WardenError`` (`invalidInput`) when the secret is too short. The message never
    ///   contains the secret.
    public init(secret: [UInt8]) throws(WardenError) {
        guard secret.count >= Self.minimumSecretLength else {
            throw .invalidInput(
                "The pseudonym secret is \(secret.count) bytes; use at least \(Self.minimumSecretLength) (for example `openssl rand -hex 32`)")
        }
        key = SymmetricKey(data: secret)
    }

    /// The pseudonym for `value`, a match of type `type`.
    public func pseudonym(for value: String, type: PIIType) -> String {
        let normalised = Self.normalise(value, type: type)
        var message = Array(type.rawValue.utf8)
        message.append(0)
        message += normalised.utf8
        let mac = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        let hex = mac.prefix(6).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
        }.joined()
        switch type {
        case .email: return "email_\(hex)@pseudo.invalid"
        case .ipv4: return "240.\(mac[0]).\(mac[1]).\(mac[2])"
        case .ipv6:
            let groups = stride(from: 0, to: 12, by: 2).map { String(UInt16(mac[$0]) << 8 | UInt16(mac[$0 + 1]), radix: 16) }
            return "2001:db8:" + groups.joined(separator: ":")
        case .creditCard: return "card_\(hex)"
        default: return "\(type.rawValue)_\(hex)"
        }
    }

    /// The form that is hashed: so `(415) 555-2671`, `+1 415 555 2671` and `415.555.2671` share a
    /// pseudonym, as do `John@Example.com` and `john@example.com`.
    static func normalise(_ value: String, type: PIIType) -> String {
        switch type {
        case .email, .ipv6: return value.lowercased()
        case .phone:
            var digits = value.filter(\.isASCII).filter(\.isNumber)
            if digits.count == 11 && digits.first == "1" { digits.removeFirst() }
            return digits
        case .ssn, .creditCard: return value.filter(\.isASCII).filter(\.isNumber)
        case .iban: return value.filter { $0 != " " }.uppercased()
        default: return value
        }
    }
}
