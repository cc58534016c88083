import WardenCore

/// Signs models in the OpenSSF Model Signing (OMS) format: a Sigstore bundle holding a DSSE
/// envelope over an in-toto Statement whose predicate lists every file or shard digest.
public struct ModelSigner: Sendable {
    /// The predicate type of OMS v1.0 signatures.
    public static let predicateType = "https://model_signing/signature/v1.0"
    /// The pre-1.0 predicate type, still read by verifiers.
    public static let legacyPredicateType = "https://model_signing/Digests/v0.1"

    public var key: SigningKey
    /// Permit Ed25519 keys, whose signatures model-signing 1.1 cannot read.
    public var allowNonOMSKeys: Bool

    public init(key: SigningKey, allowNonOMSKeys: Bool = false) {
        self.key = key
        self.allowNonOMSKeys = allowNonOMSKeys
    }

    /// The in-toto statement for a manifest.
    public static func statement(for manifest: ModelManifest) -> InTotoStatement {
        let resources: [JSONValue] = manifest.resources.map { r in
            .object([("name", .string(r.name)), ("algorithm", .string(r.algorithm)), ("digest", .string(Hex.encode(r.digest)))])
        }
        return InTotoStatement(
            subjects: [.init(name: manifest.modelName, digest: ["sha256": manifest.rootDigest.hex])],
            predicateType: predicateType,
            predicate: .object([("serialization", manifest.serialization.json), ("resources", .array(resources))])
        )
    }

    /// Throws unless model-signing can verify this key's signatures (or ``allowNonOMSKeys``); call
    /// it before hashing a large model.
    public func checkKey() throws(WardenError) {
        if !key.type.isOMSCompatible && !allowNonOMSKeys {
            throw .unsupported(
                "Ed25519 model signatures are a Warden extension that model-signing cannot verify; "
                    + "use a p256, p384 or p521 key, or pass --allow-ed25519 to sign anyway")
        }
    }

    /// Signs a manifest and returns the bundle to write as the signature file.
    /// - Throws: ``WardenError`` (`unsupported`) for an Ed25519 key unless ``allowNonOMSKeys``.
    public func sign(_ manifest: ModelManifest) throws(WardenError) -> SigstoreBundle {
        try checkKey()
        let payload = ModelSigner.statement(for: manifest).payloadBytes
        let envelope = try DSSEEnvelope.sign(
            payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: "")
        return SigstoreBundle(publicKeyHint: key.publicKey.omsHint, envelope: envelope)
    }
}
