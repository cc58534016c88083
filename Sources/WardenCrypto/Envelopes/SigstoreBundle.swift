import WardenCore

/// A Sigstore bundle (v0.3) carrying a DSSE envelope and a public-key hint, the file format of
/// OpenSSF model signatures made with keys (`model_signing sign key`).
public struct SigstoreBundle: Sendable, Equatable {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// Hex SHA-256 of the signer's public key PEM, or nil in old bundles.
    public var publicKeyHint: String?
    public var envelope: DSSEEnvelope

    public init(publicKeyHint: String?, envelope: DSSEEnvelope) {
        self.publicKeyHint = publicKeyHint
        self.envelope = envelope
    }

    /// The compact one-line JSON that model-signing writes, with its key order.
    public var jsonText: String {
        var material: [(String, JSONValue)] = []
        if let publicKeyHint { material.append(("publicKey", .object([("hint", .string(publicKeyHint))]))) }
        material.append(("tlogEntries", .array([])))
        let signatures: [JSONValue] = envelope.signatures.map {
            .object([("sig", .string(Base64.encode($0.sig))), ("keyid", .string($0.keyID))])
        }
        let value: JSONValue = .object([
            ("mediaType", .string(SigstoreBundle.mediaType)),
            ("verificationMaterial", .object(material)),
            (
                "dsseEnvelope",
                .object([
                    ("payload", .string(Base64.encode(envelope.payload))),
                    ("payloadType", .string(envelope.payloadType)),
                    ("signatures", .array(signatures)),
                ])
            ),
        ])
        return value.compactString
    }

    /// Parses a bundle file's bytes.
    /// - Throws: ``WardenError`` (`invalidInput`) naming `source` for corrupt JSON, a wrong media
    ///   type, a bundle without a DSSE envelope (for example a message-signature bundle), or bad base64.
    public init(parsing bytes: [UInt8], source: String) throws(WardenError) {
        let json = try JSONParser(maxBytes: 512 << 20).parse(bytes, source: "'\(source)'")
        guard let mediaType = json["mediaType"]?.stringValue else {
            throw .invalidInput("'\(source)' is not a Sigstore bundle: 'mediaType' is missing")
        }
        guard mediaType == SigstoreBundle.mediaType else {
            throw .unsupported("'\(source)' has bundle media type '\(mediaType)'; expected '\(SigstoreBundle.mediaType)'")
        }
        guard let dsse = json["dsseEnvelope"] else {
            throw .invalidInput("'\(source)' is a Sigstore bundle without a DSSE envelope; it is not a model signature")
        }
        self.envelope = try DSSEEnvelope(json: dsse, source: "'\(source)'")
        self.publicKeyHint = json["verificationMaterial"]?["publicKey"]?["hint"]?.stringValue
    }
}
