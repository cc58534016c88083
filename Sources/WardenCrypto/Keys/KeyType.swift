/// The kinds of signing key Warden makes and reads.
public enum KeyType: String, Sendable, CaseIterable, Codable {
    /// ECDSA on NIST P-256 with SHA-256.
    case p256
    /// ECDSA on NIST P-384 with SHA-384.
    case p384
    /// ECDSA on NIST P-521 with SHA-512.
    case p521
    /// Ed25519 (a Warden extension: OpenSSF model-signing 1.1 cannot read these signatures).
    case ed25519

    /// Whether the Python `model-signing` package can verify signatures made with this key type.
    public var isOMSCompatible: Bool { self != .ed25519 }

    /// The securesystemslib / DSSE scheme name.
    public var schemeName: String {
        switch self {
        case .p256: "ecdsa-sha2-nistp256"
        case .p384: "ecdsa-sha2-nistp384"
        case .p521: "ecdsa-sha2-nistp521"
        case .ed25519: "ed25519"
        }
    }
}
