import Crypto
import Foundation
import WardenCore

/// A private key that signs models, attestations and audit checkpoints.
public struct SigningKey: Sendable {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let backing: Backing

    /// Generates a new random key of `type`.
    public init(generating type: KeyType) {
        switch type {
        case .p256: backing = .p256(P256.Signing.PrivateKey())
        case .p384: backing = .p384(P384.Signing.PrivateKey())
        case .p521: backing = .p521(P521.Signing.PrivateKey())
        case .ed25519: backing = .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    /// The key's type.
    public var type: KeyType { publicKey.type }

    /// The matching public key.
    public var publicKey: PublicKey {
        switch backing {
        case .p256(let k): PublicKey(.p256(k.publicKey))
        case .p384(let k): PublicKey(.p384(k.publicKey))
        case .p521(let k): PublicKey(.p521(k.publicKey))
        case .ed25519(let k): PublicKey(.ed25519(k.publicKey))
        }
    }

    /// PKCS#8 PEM (`PRIVATE KEY`), unencrypted; write it with mode 0600.
    public var pkcs8PEMText: String {
        switch backing {
        case .p256(let k): PEM(type: "PRIVATE KEY", der: Array(k.derRepresentation)).text
        case .p384(let k): PEM(type: "PRIVATE KEY", der: Array(k.derRepresentation)).text
        case .p521(let k): PEM(type: "PRIVATE KEY", der: Array(k.derRepresentation)).text
        case .ed25519(let k): PEM(type: "PRIVATE KEY", der: Ed25519DER.pkcs8Prefix + Array(k.rawRepresentation)).text
        }
    }

    /// Parses a PEM private key: PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    /// - Throws: ``WardenError`` naming `source`: an encrypted key, a public key, an unsupported
    ///   algorithm (RSA, secp256k1…) or corrupt DER.
    public init(pem text: String, source: String) throws(WardenError) {
        let pem = try PEM(parsing: text, source: source)
        if pem.type == "ENCRYPTED PRIVATE KEY" || pem.hasEncryptionHeaders {
            throw .unsupported(
                "'\(source)' is an encrypted private key; decrypt it first "
                    + "(openssl pkey -in '\(source)' -out plain.pem) and keep the result at mode 0600")
        }
        switch pem.type {
        case "PRIVATE KEY", "EC PRIVATE KEY":
            break
        case "PUBLIC KEY":
            throw .invalidInput("'\(source)' holds a public key where a private key is expected; pass private.pem")
        case "RSA PRIVATE KEY":
            throw .unsupported("'\(source)' is an RSA key; Warden signs with EC P-256/P-384/P-521 or Ed25519 keys")
        default:
            throw .unsupported("'\(source)' holds a '\(pem.type)' block; expected 'PRIVATE KEY'")
        }
        let der = pem.der
        let curve = ECNamedCurve.declared(in: der)
        if curve.allows(.p256), let k = try? P256.Signing.PrivateKey(derRepresentation: der) {
            backing = .p256(k)
        } else if curve.allows(.p384), let k = try? P384.Signing.PrivateKey(derRepresentation: der) {
            backing = .p384(k)
        } else if curve.allows(.p521), let k = try? P521.Signing.PrivateKey(derRepresentation: der) {
            backing = .p521(k)
        } else if curve.allows(.ed25519), der.count == 48, Array(der.prefix(16)) == Ed25519DER.pkcs8Prefix,
            let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        {
            backing = .ed25519(k)
        } else {
            throw .unsupported(
                "'\(source)' is not a supported private key (\(KeyAlgorithmSniffer.describe(der))); "
                    + "Warden reads EC P-256/P-384/P-521 and Ed25519 keys")
        }
    }

    /// Loads a PEM private key file.
    public init(file path: String) throws(WardenError) {
        try self.init(pem: try PEM.text(ofFile: path), source: path)
    }

    /// Signs `message`: ECDSA with the curve's hash (DER signature) or Ed25519.
    public func signature(for message: [UInt8]) throws(WardenError) -> [UInt8] {
        do {
            switch backing {
            case .p256(let k): return Array(try k.signature(for: SHA256.hash(data: message)).derRepresentation)
            case .p384(let k): return Array(try k.signature(for: SHA384.hash(data: message)).derRepresentation)
            case .p521(let k): return Array(try k.signature(for: SHA512.hash(data: message)).derRepresentation)
            case .ed25519(let k): return Array(try k.signature(for: message))
            }
        } catch {
            throw .internalError("Signing failed", cause: error)
        }
    }
}
