import Crypto
import Foundation
import WardenCore

/// A public key that verifies Warden and OpenSSF model signatures.
public struct PublicKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let backing: Backing

    init(_ backing: Backing) { self.backing = backing }

    /// The key's type.
    public var type: KeyType {
        switch backing {
        case .p256: .p256
        case .p384: .p384
        case .p521: .p521
        case .ed25519: .ed25519
        }
    }

    /// SubjectPublicKeyInfo DER.
    public var spkiDER: [UInt8] {
        switch backing {
        case .p256(let k): Array(k.derRepresentation)
        case .p384(let k): Array(k.derRepresentation)
        case .p521(let k): Array(k.derRepresentation)
        case .ed25519(let k): Ed25519DER.spkiPrefix + Array(k.rawRepresentation)
        }
    }

    /// PEM text (`PUBLIC KEY`), as OpenSSL and Python's cryptography write it.
    public var pemText: String { PEM(type: "PUBLIC KEY", der: spkiDER).text }

    /// The key hint model-signing stores in a bundle: hex SHA-256 of ``pemText``.
    public var omsHint: String { Digest.sha256(pemText).hex }

    /// A stable identifier: hex SHA-256 of the SPKI DER (used as DSSE `keyid` by Warden).
    public var keyID: String { Digest.sha256(spkiDER).hex }

    /// Parses a PEM public key (`PUBLIC KEY`, SubjectPublicKeyInfo).
    /// - Parameter source: names the input in errors.
    public init(pem text: String, source: String) throws(WardenError) {
        let pem = try PEM(parsing: text, source: source)
        switch pem.type {
        case "PUBLIC KEY":
            try self.init(spkiDER: pem.der, source: source)
        case "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
            throw .invalidInput(
                "'\(source)' holds a private key where a public key is expected; pass the public.pem instead")
        case "CERTIFICATE":
            throw .unsupported("'\(source)' is a certificate; pass the public key (openssl x509 -pubkey -noout -in CERT)")
        default:
            throw .unsupported("'\(source)' holds a '\(pem.type)' block; expected 'PUBLIC KEY'")
        }
    }

    /// Parses SubjectPublicKeyInfo DER.
    public init(spkiDER der: [UInt8], source: String) throws(WardenError) {
        let curve = ECNamedCurve.declared(in: der)
        if curve.allows(.p256), let k = try? P256.Signing.PublicKey(derRepresentation: der) {
            self.init(.p256(k))
        } else if curve.allows(.p384), let k = try? P384.Signing.PublicKey(derRepresentation: der) {
            self.init(.p384(k))
        } else if curve.allows(.p521), let k = try? P521.Signing.PublicKey(derRepresentation: der) {
            self.init(.p521(k))
        } else if curve.allows(.ed25519), der.count == 44, Array(der.prefix(12)) == Ed25519DER.spkiPrefix,
            let k = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
        {
            self.init(.ed25519(k))
        } else {
            throw .unsupported(
                "'\(source)' is not a supported public key (\(KeyAlgorithmSniffer.describe(der))); "
                    + "Warden reads EC P-256/P-384/P-521 and Ed25519 keys")
        }
    }

    /// Loads a PEM public key file.
    public init(file path: String) throws(WardenError) {
        try self.init(pem: try PEM.text(ofFile: path), source: path)
    }

    /// Checks a signature over `message`: ECDSA (DER signature, hash by curve size) or Ed25519.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch backing {
        case .p256(let k):
            guard let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA256.hash(data: message))
        case .p384(let k):
            guard let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA384.hash(data: message))
        case .p521(let k):
            guard let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: SHA512.hash(data: message))
        case .ed25519(let k):
            return k.isValidSignature(signature, for: message)
        }
    }
}

/// Fixed DER framing of Ed25519 keys (RFC 8410).
enum Ed25519DER {
    /// SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes) }
    static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// PKCS#8 v1: SEQUENCE { INTEGER 0, SEQUENCE { OID }, OCTET STRING { OCTET STRING (32) } }
    static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
}

/// Names the algorithm of a DER key by the OIDs it contains, for error messages.
enum KeyAlgorithmSniffer {
    static func describe(_ der: [UInt8]) -> String {
        let known: [(String, [UInt8])] = [
            ("RSA", [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]),
            ("EC secp256k1", [0x2b, 0x81, 0x04, 0x00, 0x0a]),
            ("EC brainpool", [0x2b, 0x24, 0x03, 0x03, 0x02, 0x08]),
            ("Ed448", [0x06, 0x03, 0x2b, 0x65, 0x71]),
            ("X25519", [0x06, 0x03, 0x2b, 0x65, 0x6e]),
            ("DSA", [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]),
        ]
        for (name, oid) in known where contains(der, oid) { return "it looks like an \(name) key" }
        if case .unsupported = ECNamedCurve.declared(in: der) { return "it looks like an EC key on another curve" }
        return "unrecognised or corrupt DER"
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return true
        }
        return false
    }
}

/// The named curve an EC key's DER declares. swift-crypto does not check it for every encoding (a
/// secp256k1 PKCS#8 key parses as P-256), so a key is read only as the curve it names.
enum ECNamedCurve {
    /// No curve OID: a SEC1 key without parameters, or not an EC key.
    case none
    case supported(KeyType)
    /// Another named curve (secp256k1, secp224r1, brainpool…).
    case unsupported

    static let p256: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
    static let p384: [UInt8] = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]
    static let p521: [UInt8] = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]
    /// OID prefixes of the named-curve families: X9.62 prime, SECG, brainpool.
    static let families: [[UInt8]] = [
        [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01], [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00],
        [0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01],
    ]

    static func declared(in der: [UInt8]) -> ECNamedCurve {
        if KeyAlgorithmSniffer.contains(der, p256) { return .supported(.p256) }
        if KeyAlgorithmSniffer.contains(der, p384) { return .supported(.p384) }
        if KeyAlgorithmSniffer.contains(der, p521) { return .supported(.p521) }
        if families.contains(where: { KeyAlgorithmSniffer.contains(der, $0) }) { return .unsupported }
        return .none
    }

    /// Whether a key of `type` may be read from DER declaring this curve.
    func allows(_ type: KeyType) -> Bool {
        switch self {
        case .none: true
        case .supported(let declared): declared == type
        case .unsupported: false
        }
    }
}
