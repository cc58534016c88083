import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// Compatibility with model-signing 1.1.1: its signatures verify with Warden, Warden hashes models
/// to the same digests, and Warden's signatures over the same model list the same resources.
struct ModelSigningCompatTests {
    @Test(arguments: OMSFixtures.signatures)
    func everyFixtureSignatureVerifies(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        let report = try ModelVerifier(key: try OMSFixtures.publicKey(fixture.key)).verify(
            modelAt: OMSFixtures.model, bundle: bundle, source: fixture.file)
        #expect(report.verified, "\(report.failures.map(\.summary))")
        #expect(report.failures == [])
        #expect(report.serialization == fixture.serialization)
        #expect(report.resourceCount == fixture.resourceCount)
        #expect(report.rootDigest == "sha256:" + fixture.root)
        #expect(report.keyType == fixture.key.rawValue)
        #expect(report.modelName == "model")
    }

    @Test(arguments: OMSFixtures.signatures)
    func fixtureSignaturesVerifyWithOneWorkerAndWithIgnoreUnsignedFiles(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        let key = try OMSFixtures.publicKey(fixture.key)
        for verifier in [ModelVerifier(key: key, concurrency: 1), ModelVerifier(key: key, ignoreUnsignedFiles: true)] {
            let report = try verifier.verify(modelAt: OMSFixtures.model, bundle: bundle, source: fixture.file)
            #expect(report.verified, "\(report.failures.map(\.summary))")
        }
    }

    @Test(arguments: OMSFixtures.signatures)
    func fixtureSignaturesRejectTheOtherKeys(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        for other in KeyType.allCases where other != fixture.key {
            let key = try OMSFixtures.publicKey(other)
            let report = try ModelVerifier(key: key).verify(modelAt: OMSFixtures.model, bundle: bundle, source: fixture.file)
            #expect(
                report.failures == [.keyMismatch(expectedHint: OMSFixtures.publicKeyHints[fixture.key]!, actualHint: key.omsHint)])
        }
    }

    /// Warden hashes the fixture model to exactly the resources model-signing signed.
    @Test(arguments: OMSFixtures.signatures)
    func hashingTheFixtureModelGivesTheSignedResources(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        let statement = try InTotoStatement(payload: bundle.envelope.payload, source: fixture.file)
        let serialization = try ModelSerialization(json: try #require(statement.predicate["serialization"]), source: fixture.file)
        let manifest = try ModelHasher(serialization: serialization).manifest(for: OMSFixtures.model)
        let mine = Set(manifest.resources.map { [$0.name, $0.algorithm, Hex.encode($0.digest)] })
        #expect(mine == (try OMSFixtures.resources(ofPayload: bundle.envelope.payload)))
        #expect(manifest.rootDigest.hex == fixture.root)
        // model-signing lists resources in the order Warden sorts them.
        let listed = (statement.predicate["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(manifest.resources.map(\.name) == listed)
    }

    @Test func knownAnswerVectorsAreLoaded() {
        #expect(KnownAnswers.modelVectors.count == 9)
        #expect(KnownAnswers.modelVectors.allSatisfy { !$0.resources.isEmpty && $0.root.count == 64 })
    }

    /// Fixed files → fixed per-resource digests and root digest, computed independently in Python.
    @Test(arguments: KnownAnswers.modelVectors)
    func knownAnswerManifests(_ vector: KnownAnswers.ModelVector) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try vector.materialise(in: folder)
        let serialization = try ModelSerialization(json: vector.serialization, source: vector.id)
        for concurrency in [1, 3] {
            let manifest = try ModelHasher(serialization: serialization, concurrency: concurrency).manifest(for: path)
            #expect(manifest.resources.map { [$0.name, $0.algorithm, Hex.encode($0.digest)] } == vector.resources)
            #expect(manifest.rootDigest.hex == vector.root)
        }
    }

    /// Signing the fixture model with the fixture key gives a bundle whose payload lists the same
    /// resources, subject and ignore paths as model-signing's, names the same key, and verifies.
    @Test(arguments: OMSFixtures.signatures)
    func signingTheFixtureModelReproducesTheFixturePayload(_ fixture: OMSFixtures.Signature) throws {
        let theirs = try OMSFixtures.bundle(fixture.file)
        let theirStatement = try InTotoStatement(payload: theirs.envelope.payload, source: fixture.file)
        let serialization = try ModelSerialization(
            json: try #require(theirStatement.predicate["serialization"]), source: fixture.file)
        let manifest = try ModelHasher(serialization: serialization).manifest(for: OMSFixtures.model)
        let mine = try ModelSigner(key: try OMSFixtures.signingKey(fixture.key)).sign(manifest)

        #expect(mine.publicKeyHint == theirs.publicKeyHint)
        #expect(mine.envelope.payloadType == theirs.envelope.payloadType)
        #expect(mine.envelope.signatures.map(\.keyID) == [""])
        #expect(try OMSFixtures.resources(ofPayload: mine.envelope.payload) == (try OMSFixtures.resources(ofPayload: theirs.envelope.payload)))

        let myStatement = try InTotoStatement(payload: mine.envelope.payload, source: "mine")
        #expect(myStatement.subjects == theirStatement.subjects)
        #expect(myStatement.predicateType == theirStatement.predicateType)
        let mySerialization = try #require(myStatement.predicate["serialization"])
        let theirSerialization = try #require(theirStatement.predicate["serialization"])
        #expect(mySerialization["method"] == theirSerialization["method"])
        #expect(mySerialization["hash_type"] == theirSerialization["hash_type"])
        #expect(mySerialization["allow_symlinks"] == theirSerialization["allow_symlinks"])
        #expect(mySerialization["shard_size"] == theirSerialization["shard_size"])
        #expect(
            Set(mySerialization["ignore_paths"]?.arrayValue ?? []) == Set(theirSerialization["ignore_paths"]?.arrayValue ?? []))

        // The same layout model-signing writes: two-space indent, ASCII only, no trailing newline.
        let text = String(decoding: mine.envelope.payload, as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"_type\": \"https://in-toto.io/Statement/v1\",\n  \"subject\": [\n"))
        #expect(text.hasSuffix("\n}"))
        #expect(mine.envelope.payload.allSatisfy { $0 < 0x80 })

        let report = try ModelVerifier(key: try OMSFixtures.publicKey(fixture.key)).verify(
            modelAt: OMSFixtures.model, bundle: mine, source: "mine")
        #expect(report.verified, "\(report.failures.map(\.summary))")
    }

    /// model-signing writes `shard_size` as a float (4.0); Warden writes an integer, and reads both.
    @Test func shardSizeIsReadAsFloatOrInteger() throws {
        for text in [#"{"method":"shards","hash_type":"sha256","shard_size":4.0}"#, #"{"method":"shards","hash_type":"sha256","shard_size":4}"#] {
            let serialization = try ModelSerialization(json: try JSONParser().parse(text), source: "s")
            #expect(serialization.method == .shards(shardSize: 4))
            #expect(serialization.resourceAlgorithmName == "sha256-sharded-4")
        }
        let written = ModelSerialization(method: .shards(shardSize: 1_000_000_000)).json
        #expect(written["shard_size"] == .int(1_000_000_000))
        #expect(written.compactString.contains(#""shard_size":1000000000,"#))
    }

    @Test func serializationJSONRoundTrips() throws {
        let cases = [
            ModelSerialization(),
            ModelSerialization(method: .shards(shardSize: 7), hashAlgorithm: .sha256, allowSymlinks: true, ignoredPaths: ["b", "a/x"]),
            ModelSerialization(hashAlgorithm: .blake3, ignoredPaths: []),
            ModelSerialization(hashAlgorithm: .blake2b),
        ]
        for serialization in cases {
            var expected = serialization
            expected.ignoredPaths.sort()
            #expect(try ModelSerialization(json: serialization.json, source: "s") == expected)
        }
        #expect(ModelSerialization().json.compactString == #"{"method":"files","hash_type":"sha256","allow_symlinks":false,"ignore_paths":[".git",".gitattributes",".github",".gitignore"]}"#)
    }

    struct BadSerialization: Sendable, CustomTestStringConvertible {
        var json: String
        var code: WardenError.Code
        var testDescription: String { json }
    }

    @Test(arguments: [
        BadSerialization(json: #"{"hash_type":"sha256"}"#, code: .invalidInput),
        BadSerialization(json: #"{"method":"files"}"#, code: .unsupported),
        BadSerialization(json: #"{"method":"files","hash_type":"md5"}"#, code: .unsupported),
        BadSerialization(json: #"{"method":"digests","hash_type":"sha256"}"#, code: .unsupported),
        BadSerialization(json: #"{"method":"shards","hash_type":"sha256"}"#, code: .invalidInput),
        BadSerialization(json: #"{"method":"shards","hash_type":"sha256","shard_size":0}"#, code: .invalidInput),
        BadSerialization(json: #"{"method":"shards","hash_type":"sha256","shard_size":-4}"#, code: .invalidInput),
        BadSerialization(json: #"{"method":"shards","hash_type":"sha256","shard_size":4.5}"#, code: .invalidInput),
        BadSerialization(json: #"{"method":"shards","hash_type":"sha256","shard_size":"4"}"#, code: .invalidInput),
    ])
    func badSerializations(_ c: BadSerialization) throws {
        let json = try JSONParser().parse(c.json)
        #expect(throws: WardenError(code: c.code, message: "")) { try ModelSerialization(json: json, source: "s") }
    }

    @Test func hashAlgorithmNames() {
        #expect(HashAlgorithm(omsName: "blake2") == .blake2b)
        #expect(HashAlgorithm(omsName: "blake2b") == .blake2b)
        #expect(HashAlgorithm(omsName: "SHA256") == nil)
        #expect(HashAlgorithm.allCases.map(\.omsName) == ["sha256", "blake2b", "blake3"])
    }

    /// A legacy v0.1 statement (one subject per file) still verifies.
    @Test func legacyDigestsPredicateVerifies() throws {
        let key = try OMSFixtures.signingKey(.p256)
        let files = ["a.txt", "config.json", "empty.bin", "sub/b.txt"]
        let subjects = try files.map { name in
            InTotoStatement.Subject(name: name, digest: ["sha256": try Digest.sha256(ofFile: OMSFixtures.model + "/" + name).hex])
        }
        let statement = InTotoStatement(subjects: subjects, predicateType: ModelSigner.legacyPredicateType, predicate: .object([]))
        let envelope = try DSSEEnvelope.sign(
            payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: "")
        let bundle = SigstoreBundle(publicKeyHint: nil, envelope: envelope)
        let verifier = ModelVerifier(key: try OMSFixtures.publicKey(.p256))
        #expect(try verifier.verify(modelAt: OMSFixtures.model, bundle: bundle, source: "legacy").verified)
        var tampered = statement
        tampered.subjects[0].digest["sha256"] = Digest.sha256("x").hex
        let bad = SigstoreBundle(
            publicKeyHint: nil,
            envelope: try DSSEEnvelope.sign(payload: tampered.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: ""))
        let report = try verifier.verify(modelAt: OMSFixtures.model, bundle: bad, source: "legacy")
        #expect(report.failures.count == 1)
        guard case .changed(let changes) = report.failures.first else {
            Issue.record("expected a change, got \(report.failures)")
            return
        }
        #expect(changes.map(\.name) == ["a.txt"])
    }
}
