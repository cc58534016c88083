import WardenCore

/// Verifies OpenSSF model signatures (Sigstore bundle, key-based) made by Warden or model-signing.
///
/// It throws only when verification cannot run (unreadable signature or model); a signature that
/// does not match returns a ``ModelVerificationReport`` listing every reason.
public struct ModelVerifier: Sendable {
    public var key: PublicKey
    /// Hash only the signed files, so a model with extra files still verifies.
    public var ignoreUnsignedFiles: Bool
    public var concurrency: Int?

    public init(key: PublicKey, ignoreUnsignedFiles: Bool = false, concurrency: Int? = nil) {
        self.key = key
        self.ignoreUnsignedFiles = ignoreUnsignedFiles
        self.concurrency = concurrency
    }

    /// Verifies the model at `modelPath` against `bundle`.
    /// - Parameters:
    ///   - extraIgnoredPaths: relative paths to leave out besides those the signature records
    ///     (the signature file itself when it lies inside the model folder).
    public func verify(
        modelAt modelPath: String, bundle: SigstoreBundle, source: String, extraIgnoredPaths: [String] = [],
        progress: ModelHasher.Progress? = nil
    ) throws -> ModelVerificationReport {
        var report = ModelVerificationReport(
            modelName: ModelHasher.modelName(for: modelPath), keyType: key.type.rawValue, rootDigest: nil,
            serialization: nil, resourceCount: 0, failures: [])
        if let hint = bundle.publicKeyHint, hint != key.omsHint {
            report.failures.append(.keyMismatch(expectedHint: hint, actualHint: key.omsHint))
            return report
        }
        guard bundle.envelope.isValidSignature(by: key) else {
            report.failures.append(.invalidSignature)
            return report
        }
        guard bundle.envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            report.failures.append(.unexpectedPayload("payload type '\(bundle.envelope.payloadType)'"))
            return report
        }
        let statement = try InTotoStatement(payload: bundle.envelope.payload, source: source)
        let expected: ModelManifest
        switch try Self.manifest(from: statement, source: source) {
        case .manifest(let manifest): expected = manifest
        case .rejected(let failure):
            report.failures.append(failure)
            return report
        }
        report.rootDigest = expected.rootDigest.description
        report.serialization = expected.serialization.resourceAlgorithmName
        report.resourceCount = expected.resources.count

        var serialization = expected.serialization
        serialization.ignoredPaths += extraIgnoredPaths
        let hasher = ModelHasher(
            serialization: serialization, concurrency: concurrency ?? ModelHasher(serialization: serialization).concurrency)
        // Files are named by their path; only shard names carry `:start:end` (a file may contain ':').
        let sharded = if case .shards = expected.serialization.method { true } else { false }
        let only = ignoreUnsignedFiles ? Set(expected.resources.map { sharded ? $0.path : $0.name }) : nil
        let actual = try hasher.manifest(for: modelPath, onlyPaths: only, progress: progress)
        report.failures += Self.differences(expected: expected, actual: actual)
        return report
    }

    /// Rebuilds the signed manifest from a statement (v1.0 or the legacy v0.1 predicate).
    static func manifest(
        from statement: InTotoStatement, source: String
    ) throws(WardenError) -> SignedManifest {
        if statement.predicateType == ModelSigner.legacyPredicateType {
            var resources: [ModelManifest.Resource] = []
            for subject in statement.subjects {
                guard let hex = subject.digest["sha256"], let digest = Hex.decode(hex) else {
                    throw .invalidInput("\(source): a legacy subject has no sha256 digest")
                }
                resources.append(.init(name: subject.name, algorithm: "sha256", digest: digest))
            }
            let manifest = ModelManifest(
                modelName: "compat-undefined-not-present", serialization: ModelSerialization(ignoredPaths: []),
                resources: resources)
            return .manifest(manifest)
        }
        guard statement.predicateType == ModelSigner.predicateType else {
            return .rejected(.unexpectedPayload("predicate type '\(statement.predicateType)'"))
        }
        guard statement.subjects.count == 1, let subjectHex = statement.subjects[0].digest["sha256"] else {
            return .rejected(.unexpectedPayload("expected exactly one subject with a sha256 digest"))
        }
        guard let serializationJSON = statement.predicate["serialization"] else {
            throw .invalidInput("\(source): the predicate has no 'serialization'")
        }
        let serialization = try ModelSerialization(json: serializationJSON, source: source)
        guard let list = statement.predicate["resources"]?.arrayValue else {
            throw .invalidInput("\(source): the predicate has no 'resources' list")
        }
        var resources: [ModelManifest.Resource] = []
        var rootInput: [UInt8] = []
        for item in list {
            guard let name = item["name"]?.stringValue, let algorithm = item["algorithm"]?.stringValue,
                let hex = item["digest"]?.stringValue, let digest = Hex.decode(hex)
            else {
                throw .invalidInput("\(source): a resource lacks name, algorithm or a hex digest")
            }
            rootInput += digest
            resources.append(.init(name: name, algorithm: algorithm, digest: digest))
        }
        // The root is recomputed in the listed order, as model-signing does.
        let computed = Digest.sha256(rootInput).hex
        guard computed == subjectHex.lowercased() else {
            return .rejected(.inconsistentManifest(subjectDigest: "sha256:\(subjectHex)", computedDigest: "sha256:\(computed)"))
        }
        let name = statement.subjects[0].name
        return .manifest(ModelManifest(modelName: name, serialization: serialization, resources: resources))
    }

    /// What a statement yields: the signed manifest, or why it cannot be one.
    enum SignedManifest {
        case manifest(ModelManifest)
        case rejected(ModelVerificationReport.Failure)
    }

    /// Extra, missing and changed resources, each sorted by name.
    static func differences(expected: ModelManifest, actual: ModelManifest) -> [ModelVerificationReport.Failure] {
        // Keyed by the names' UTF-8 bytes: String equality would merge canonically equivalent
        // names (NFC and NFD), which are different files, and hide a change to one of them.
        let want = Dictionary(expected.resources.map { (Array($0.name.utf8), $0) }, uniquingKeysWith: { a, _ in a })
        let have = Dictionary(actual.resources.map { (Array($0.name.utf8), $0) }, uniquingKeysWith: { a, _ in a })
        let byName: ([UInt8], [UInt8]) -> Bool = { $0.lexicographicallyPrecedes($1) }
        var failures: [ModelVerificationReport.Failure] = []
        let extra = have.keys.filter { want[$0] == nil }.sorted(by: byName).map { have[$0]!.name }
        if !extra.isEmpty { failures.append(.extra(extra)) }
        let missing = want.keys.filter { have[$0] == nil }.sorted(by: byName).map { want[$0]!.name }
        if !missing.isEmpty { failures.append(.missing(missing)) }
        var changes: [ModelVerificationReport.Change] = []
        for key in want.keys.sorted(by: byName) {
            guard let w = want[key], let h = have[key] else { continue }
            if w.digest != h.digest || w.algorithm != h.algorithm {
                changes.append(
                    .init(name: w.name, expected: "\(w.algorithm):\(Hex.encode(w.digest))", actual: "\(h.algorithm):\(Hex.encode(h.digest))"))
            }
        }
        if !changes.isEmpty { failures.append(.changed(changes)) }
        return failures
    }
}
