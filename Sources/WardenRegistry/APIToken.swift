import Crypto
import Foundation
import WardenCore

/// API tokens: `wdn_<id>_<secret>` with a 256-bit random secret. Only a salted SHA-256 of the
/// secret is stored; the id (not secret) finds the record, so verification is one hash and a
/// constant-time comparison — microseconds, no password hashing needed for 256 bits of entropy.
public struct APIToken: Sendable, Equatable, Codable {
    public static let prefix = "wdn_"

    public var id: String
    public var principalID: String
    public var name: String
    public var salt: [UInt8]
    public var secretHash: [UInt8]
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revoked: Bool

    /// Makes a token for `principalID`; returns the record to store and the one-time plaintext.
    public static func issue(
        for principalID: String, name: String, now: Int64, lifetime: Int64? = nil
    ) -> (record: APIToken, plaintext: String) {
        var generator = SystemRandomNumberGenerator()
        let id = Hex.encode((0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let record = APIToken(
            id: id, principalID: principalID, name: name, salt: salt, secretHash: hash(secret: secret, salt: salt),
            createdAt: now, expiresAt: lifetime.map { now + $0 }, revoked: false)
        return (record, "\(prefix)\(id)_\(Base64URL.encode(secret))")
    }

    /// The record for a token made elsewhere (`WARDEN_ADMIN_TOKEN`); nil if it is not shaped like one.
    public static func record(for plaintext: String, principalID: String, name: String, now: Int64) -> APIToken? {
        guard let (id, secret) = parse(plaintext) else { return nil }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return APIToken(
            id: id, principalID: principalID, name: name, salt: salt, secretHash: hash(secret: secret, salt: salt), createdAt: now,
            expiresAt: nil, revoked: false)
    }

    static func hash(secret: [UInt8], salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: secret)
        return Array(hasher.finalize())
    }

    /// Splits a presented token into its id and secret; nil if it is not shaped like one.
    public static func parse(_ text: String) -> (id: String, secret: [UInt8])? {
        guard text.hasPrefix(prefix), text.utf8.count < 200 else { return nil }
        let parts = text.dropFirst(prefix.count).split(separator: "_", maxSplits: 1)
        // Only the canonical encoding: the last character carries 2 unused bits, and a token must
        // have one spelling (the credential cache is keyed by the text as presented).
        guard parts.count == 2, parts[0].count == 12, let secret = Base64URL.decode(String(parts[1])), secret.count == 32,
            Base64URL.encode(secret) == parts[1]
        else {
            return nil
        }
        return (String(parts[0]), secret)
    }

    /// Whether `secret` is this token's, it is not revoked and has not expired at `now`.
    public func accepts(secret: [UInt8], now: Int64) -> Bool {
        let matches = ConstantTime.equal(Self.hash(secret: secret, salt: salt), secretHash)
        return matches && !revoked && (expiresAt.map { now < $0 } ?? true)
    }
}

/// Comparison whose time does not depend on where the inputs differ.
public enum ConstantTime: Sendable {
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Base64 with the URL alphabet and no padding (RFC 4648 §5).
public enum Base64URL: Sendable {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
