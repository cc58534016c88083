import WardenCore

/// The outcome of verifying a model against a signature. A rejection is a value, not an error.
public struct ModelVerificationReport: Sendable, Codable, Equatable {
    /// A file or shard whose digest differs from the signed one.
    public struct Change: Sendable, Codable, Equatable {
        public var name: String
        public var expected: String
        public var actual: String
    }

    /// Why verification failed; empty when it succeeded.
    public enum Failure: Sendable, Codable, Equatable {
        /// The bundle names a different public key (by its hint).
        case keyMismatch(expectedHint: String, actualHint: String)
        /// The DSSE signature does not verify with the key.
        case invalidSignature
        /// The signed resource list does not hash to the signed subject digest.
        case inconsistentManifest(subjectDigest: String, computedDigest: String)
        /// The signed payload is not a model signature this verifier understands.
        case unexpectedPayload(String)
        /// Files or shards present in the model but not in the signature.
        case extra([String])
        /// Files or shards in the signature but not in the model.
        case missing([String])
        /// Files or shards whose digests differ.
        case changed([Change])

        /// One line for people.
        public var summary: String {
            switch self {
            case .keyMismatch:
                "Key mismatch: the signature names a different public key (hint) than the one given"
            case .invalidSignature:
                "The signature does not verify with this public key"
            case .inconsistentManifest(let subject, let computed):
                "Manifest is inconsistent: subject digest \(subject) but the resources hash to \(computed)"
            case .unexpectedPayload(let what):
                "Unexpected payload: \(what)"
            case .extra(let names):
                "Extra files in the model (not signed): \(names.joined(separator: ", "))"
            case .missing(let names):
                "Missing files (signed but absent): \(names.joined(separator: ", "))"
            case .changed(let changes):
                "Changed: "
                    + changes.map { "'\($0.name)' expected \($0.expected), actual \($0.actual)" }.joined(separator: "; ")
            }
        }
    }

    public var verified: Bool { failures.isEmpty }
    public var modelName: String
    public var keyType: String
    /// The signed subject digest (`sha256:` root of the manifest), when the payload was readable.
    public var rootDigest: String?
    public var serialization: String?
    public var resourceCount: Int
    public var failures: [Failure]

    public init(
        modelName: String, keyType: String, rootDigest: String?, serialization: String?, resourceCount: Int,
        failures: [Failure]
    ) {
        self.modelName = modelName
        self.keyType = keyType
        self.rootDigest = rootDigest
        self.serialization = serialization
        self.resourceCount = resourceCount
        self.failures = failures
    }

    enum CodingKeys: String, CodingKey {
        case verified, modelName, keyType, rootDigest, serialization, resourceCount, failures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelName = try c.decode(String.self, forKey: .modelName)
        keyType = try c.decode(String.self, forKey: .keyType)
        rootDigest = try c.decodeIfPresent(String.self, forKey: .rootDigest)
        serialization = try c.decodeIfPresent(String.self, forKey: .serialization)
        resourceCount = try c.decode(Int.self, forKey: .resourceCount)
        failures = try c.decode([Failure].self, forKey: .failures)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verified, forKey: .verified)
        try c.encode(modelName, forKey: .modelName)
        try c.encode(keyType, forKey: .keyType)
        try c.encodeIfPresent(rootDigest, forKey: .rootDigest)
        try c.encodeIfPresent(serialization, forKey: .serialization)
        try c.encode(resourceCount, forKey: .resourceCount)
        try c.encode(failures, forKey: .failures)
    }
}
