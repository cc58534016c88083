import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// Every way a model or its signature can be changed after signing is caught and reported as a
/// value; inputs that make verification impossible throw.
struct ModelVerifierTests {
    /// A model signed in a fresh folder.
    struct Signed {
        var folder: TemporaryDirectory
        var model: String
        var key: SigningKey
        var manifest: ModelManifest
        var bundle: SigstoreBundle

        init(serialization: ModelSerialization = ModelSerialization(), files: [(String, [UInt8])]? = nil) throws {
            folder = try TemporaryDirectory()
            if let files {
                for (name, bytes) in files { try folder.write("model/" + name, bytes) }
                model = folder.url("model")
            } else {
                model = try ModelFixture.write(into: folder)
            }
            key = try OMSFixtures.signingKey(.p256)
            manifest = try ModelHasher(serialization: serialization).manifest(for: model)
            bundle = try ModelSigner(key: key).sign(manifest)
        }

        func verify(
            _ bundle: SigstoreBundle? = nil, key: PublicKey? = nil, ignoreUnsignedFiles: Bool = false, path: String? = nil,
            extraIgnoredPaths: [String] = []
        ) throws -> ModelVerificationReport {
            try ModelVerifier(key: key ?? self.key.publicKey, ignoreUnsignedFiles: ignoreUnsignedFiles).verify(
                modelAt: path ?? model, bundle: bundle ?? self.bundle, source: "model.sig", extraIgnoredPaths: extraIgnoredPaths)
        }

        /// A bundle over `statement`, signed with the model's key.
        func signing(_ statement: InTotoStatement, payloadType: String = DSSEEnvelope.inTotoPayloadType) throws -> SigstoreBundle {
            try signing(payload: statement.payloadBytes, payloadType: payloadType)
        }

        func signing(payload: [UInt8], payloadType: String = DSSEEnvelope.inTotoPayloadType) throws -> SigstoreBundle {
            let envelope = try DSSEEnvelope.sign(payload: payload, payloadType: payloadType, key: key, keyID: "")
            return SigstoreBundle(publicKeyHint: key.publicKey.omsHint, envelope: envelope)
        }

        var statement: InTotoStatement { ModelSigner.statement(for: manifest) }

        func write(_ relative: String, _ bytes: [UInt8]) throws { try folder.write("model/" + relative, bytes) }
        func read(_ relative: String) throws -> [UInt8] { try FileIO.readAll(model + "/" + relative) }
        func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: model + "/" + relative) }
        func rename(_ from: String, _ to: String) throws {
            try FileIO.makeDirectory(FileIO.parentDirectory(of: model + "/" + to))
            try FileManager.default.moveItem(atPath: model + "/" + from, toPath: model + "/" + to)
        }
    }

    /// One line per failure, e.g. `changed:weights/layer0.bin`, for compact expectations.
    static func outline(_ report: ModelVerificationReport) -> [String] {
        report.failures.flatMap { failure -> [String] in
            switch failure {
            case .keyMismatch: ["keyMismatch"]
            case .invalidSignature: ["invalidSignature"]
            case .inconsistentManifest: ["inconsistentManifest"]
            case .unexpectedPayload: ["unexpectedPayload"]
            case .extra(let names): names.map { "extra:" + $0 }
            case .missing(let names): names.map { "missing:" + $0 }
            case .changed(let changes): changes.map { "changed:" + $0.name }
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var expected: [String]
        var testDescription: String { id }
    }

    static let cases: [Case] = [
        Case(id: "untouched", expected: []),
        Case(id: "changed byte", expected: ["changed:weights/layer0.bin"]),
        Case(id: "appended byte", expected: ["changed:config.json"]),
        Case(id: "emptied file", expected: ["changed:tokenizer/vocab.txt"]),
        Case(id: "empty file filled", expected: ["changed:empty.txt"]),
        Case(id: "swapped contents", expected: ["changed:weights/layer0.bin", "changed:weights/layer1.bin"]),
        Case(id: "added file", expected: ["extra:extra.bin"]),
        Case(id: "added empty file", expected: ["extra:z-empty"]),
        Case(id: "added hidden file", expected: ["extra:.env"]),
        Case(id: "added nested file", expected: ["extra:weights/new/layer9.bin"]),
        Case(id: "added empty folder", expected: []),
        Case(id: "added under .git", expected: []),
        Case(id: "changed .gitignore", expected: []),
        Case(id: "removed file", expected: ["missing:README.md"]),
        Case(id: "removed folder", expected: ["missing:tokenizer/vocab.txt"]),
        Case(id: "renamed file", expected: ["extra:README.txt", "missing:README.md"]),
        Case(id: "moved into a folder", expected: ["extra:docs/README.md", "missing:README.md"]),
        Case(id: "wrong key", expected: ["keyMismatch"]),
        Case(id: "wrong key without hint", expected: ["invalidSignature"]),
        Case(id: "payload edited and re-encoded", expected: ["invalidSignature"]),
        Case(id: "payload type edited", expected: ["invalidSignature"]),
        Case(id: "signature from another bundle", expected: ["invalidSignature"]),
        Case(id: "signature bit flipped", expected: ["invalidSignature"]),
        Case(id: "re-signed: root inconsistent", expected: ["inconsistentManifest"]),
        Case(id: "re-signed: two subjects", expected: ["unexpectedPayload"]),
        Case(id: "re-signed: no subject", expected: ["unexpectedPayload"]),
        Case(id: "re-signed: subject without sha256", expected: ["unexpectedPayload"]),
        Case(id: "re-signed: other predicate type", expected: ["unexpectedPayload"]),
        Case(id: "re-signed: other payload type", expected: ["unexpectedPayload"]),
        Case(id: "re-signed: a resource left out", expected: ["extra:README.md"]),
        Case(id: "re-signed: a digest changed consistently", expected: ["changed:README.md"]),
        Case(id: "signature for another model", expected: ["extra:README.md", "missing:NOTES.md"]),
    ]

    @Test(arguments: cases)
    func tampering(_ c: Case) throws {
        let s = try Signed()
        defer { s.folder.remove() }
        var bundle = s.bundle
        var key = s.key.publicKey
        switch c.id {
        case "untouched": break
        case "changed byte":
            var bytes = try s.read("weights/layer0.bin")
            bytes[1000] ^= 0x01
            try s.write("weights/layer0.bin", bytes)
        case "appended byte": try s.write("config.json", try s.read("config.json") + [0x20])
        case "emptied file": try s.write("tokenizer/vocab.txt", [])
        case "empty file filled": try s.write("empty.txt", [0])
        case "swapped contents":
            let a = try s.read("weights/layer0.bin")
            try s.write("weights/layer0.bin", try s.read("weights/layer1.bin"))
            try s.write("weights/layer1.bin", a)
        case "added file": try s.write("extra.bin", [1, 2, 3])
        case "added empty file": try s.write("z-empty", [])
        case "added hidden file": try s.write(".env", Array("SECRET=1".utf8))
        case "added nested file": try s.write("weights/new/layer9.bin", [9])
        case "added empty folder": try FileIO.makeDirectory(s.model + "/new-folder/deeper")
        case "added under .git": try s.write(".git/HEAD", Array("ref: main".utf8))
        case "changed .gitignore": try s.write(".gitignore", Array("changed".utf8))
        case "removed file": try s.remove("README.md")
        case "removed folder": try s.remove("tokenizer")
        case "renamed file": try s.rename("README.md", "README.txt")
        case "moved into a folder": try s.rename("README.md", "docs/README.md")
        case "wrong key": key = SigningKey(generating: .p256).publicKey
        case "wrong key without hint":
            key = SigningKey(generating: .p256).publicKey
            bundle.publicKeyHint = nil
        case "payload edited and re-encoded":
            // Change one hex digit of a resource digest and re-encode, keeping the signature.
            var text = String(decoding: bundle.envelope.payload, as: UTF8.self)
            let digest = Hex.encode(s.manifest.resources[0].digest)
            let edited = String(digest.prefix(63)) + (digest.last == "0" ? "1" : "0")
            text = text.replacingOccurrences(of: digest, with: edited)
            #expect(Array(text.utf8) != bundle.envelope.payload)
            bundle = try SigstoreBundle(
                parsing: Array(SigstoreBundle(publicKeyHint: bundle.publicKeyHint, envelope: .init(
                    payload: Array(text.utf8), payloadType: bundle.envelope.payloadType,
                    signatures: bundle.envelope.signatures)).jsonText.utf8), source: "edited")
        case "payload type edited": bundle.envelope.payloadType = "application/json"
        case "signature from another bundle":
            let other = try s.signing(payload: Array("{}".utf8))
            bundle.envelope.signatures = other.envelope.signatures
        case "signature bit flipped": bundle.envelope.signatures[0].sig[8] ^= 0x10
        case "re-signed: root inconsistent":
            var edited = s.manifest
            edited.resources[0].digest[0] ^= 0xFF
            var statement = ModelSigner.statement(for: edited)
            statement.subjects = s.statement.subjects
            bundle = try s.signing(statement)
        case "re-signed: two subjects":
            var statement = s.statement
            statement.subjects.append(statement.subjects[0])
            bundle = try s.signing(statement)
        case "re-signed: no subject":
            var statement = s.statement
            statement.subjects = []
            bundle = try s.signing(statement)
        case "re-signed: subject without sha256":
            var statement = s.statement
            statement.subjects[0].digest = ["sha512": String(repeating: "0", count: 128)]
            bundle = try s.signing(statement)
        case "re-signed: other predicate type":
            var statement = s.statement
            statement.predicateType = "https://slsa.dev/provenance/v1"
            bundle = try s.signing(statement)
        case "re-signed: other payload type":
            bundle = try s.signing(s.statement, payloadType: "application/json")
        case "re-signed: a resource left out":
            var edited = s.manifest
            edited.resources.removeAll { $0.name == "README.md" }
            bundle = try s.signing(ModelSigner.statement(for: edited))
        case "re-signed: a digest changed consistently":
            var edited = s.manifest
            let index = try #require(edited.resources.firstIndex { $0.name == "README.md" })
            edited.resources[index].digest = Digest.sha256("other").bytes
            bundle = try s.signing(ModelSigner.statement(for: edited))
        case "signature for another model":
            var edited = s.manifest
            let index = try #require(edited.resources.firstIndex { $0.name == "README.md" })
            edited.resources[index].name = "NOTES.md"
            bundle = try s.signing(ModelSigner.statement(for: edited))
        default:
            Issue.record("unknown case \(c.id)")
        }
        let report = try s.verify(bundle, key: key)
        #expect(Self.outline(report) == c.expected)
        #expect(report.verified == c.expected.isEmpty)
    }

    @Test func aChangeReportsTheSignedAndTheActualDigest() throws {
        let s = try Signed()
        defer { s.folder.remove() }
        let before = try Digest.sha256(ofFile: s.model + "/README.md")
        try s.write("README.md", Array("# changed\n".utf8))
        let report = try s.verify()
        #expect(
            report.failures == [
                .changed([
                    .init(name: "README.md", expected: "sha256:\(before.hex)", actual: "sha256:\(Digest.sha256("# changed\n").hex)")
                ])
            ])
        #expect(report.failures[0].summary.contains("'README.md' expected sha256:\(before.hex)"))
        #expect(report.rootDigest == s.manifest.rootDigest.description)
        #expect(report.resourceCount == 6)
        #expect(report.serialization == "sha256")
        #expect(report.modelName == "model")
    }

    @Test func extraAndMissingAreListedTogetherSorted() throws {
        let s = try Signed()
        defer { s.folder.remove() }
        try s.write("b-new", [1])
        try s.write("a-new", [1])
        try s.remove("README.md")
        try s.remove("config.json")
        let report = try s.verify()
        #expect(report.failures == [.extra(["a-new", "b-new"]), .missing(["README.md", "config.json"])])
        #expect(report.failures[0].summary == "Extra files in the model (not signed): a-new, b-new")
        #expect(report.failures[1].summary == "Missing files (signed but absent): README.md, config.json")
    }

    // MARK: shards

    struct ShardCase: Sendable, CustomTestStringConvertible {
        var id: String
        var expected: [String]
        var testDescription: String { id }
    }

    /// layer1.bin has 3 000 bytes: shards 0:1000, 1000:2000, 2000:3000.
    static let shardCases: [ShardCase] = [
        ShardCase(id: "untouched", expected: []),
        ShardCase(id: "last byte of a shard", expected: ["changed:weights/layer1.bin:1000:2000"]),
        ShardCase(id: "first byte of the next shard", expected: ["changed:weights/layer1.bin:2000:3000"]),
        ShardCase(id: "one byte appended", expected: ["extra:weights/layer1.bin:3000:3001"]),
        ShardCase(id: "truncated at a boundary", expected: ["missing:weights/layer1.bin:2000:3000"]),
        ShardCase(
            id: "truncated inside a shard",
            expected: ["extra:weights/layer1.bin:2000:2500", "missing:weights/layer1.bin:2000:3000"]),
        ShardCase(id: "empty file filled", expected: ["extra:empty.txt:0:1"]),
        ShardCase(id: "file emptied", expected: ["missing:tokenizer/vocab.txt:0:6"]),
        ShardCase(id: "empty file added", expected: []),
    ]

    @Test(arguments: shardCases)
    func shardBoundaries(_ c: ShardCase) throws {
        let s = try Signed(serialization: ModelSerialization(method: .shards(shardSize: 1000)))
        defer { s.folder.remove() }
        // layer0 70 shards, layer1 3, vocab, config and README 1 each, empty.txt none.
        #expect(s.manifest.resources.count == 70 + 3 + 1 + 1 + 1)
        #expect(!s.manifest.resources.contains { $0.name.hasPrefix("empty.txt") })
        var layer = try s.read("weights/layer1.bin")
        switch c.id {
        case "untouched": break
        case "last byte of a shard":
            layer[1999] ^= 1
            try s.write("weights/layer1.bin", layer)
        case "first byte of the next shard":
            layer[2000] ^= 1
            try s.write("weights/layer1.bin", layer)
        case "one byte appended": try s.write("weights/layer1.bin", layer + [0])
        case "truncated at a boundary": try s.write("weights/layer1.bin", Array(layer[0..<2000]))
        case "truncated inside a shard": try s.write("weights/layer1.bin", Array(layer[0..<2500]))
        case "empty file filled": try s.write("empty.txt", [7])
        case "file emptied": try s.write("tokenizer/vocab.txt", [])
        case "empty file added": try s.write("new-empty", [])
        default: Issue.record("unknown case \(c.id)")
        }
        let report = try s.verify()
        #expect(Self.outline(report) == c.expected)
        #expect(report.serialization == "sha256-sharded-1000")
    }

    // MARK: --ignore-unsigned-files

    @Test func ignoreUnsignedFilesSkipsOnlyAddedFiles() throws {
        for serialization in [ModelSerialization(), ModelSerialization(method: .shards(shardSize: 1000))] {
            let s = try Signed(serialization: serialization)
            defer { s.folder.remove() }
            try s.write("added.bin", [1, 2, 3])
            try s.write("sub/added.txt", [4])
            #expect(!(try s.verify()).verified)
            #expect(try s.verify(ignoreUnsignedFiles: true).verified)

            try s.write("config.json", Array("{}".utf8))
            try s.remove("README.md")
            let report = try s.verify(ignoreUnsignedFiles: true)
            let outline = Self.outline(report)
            #expect(outline.contains { $0.hasPrefix("missing:README.md") })
            // A whole-file change, or in shards mode a shard missing and a shorter one added.
            #expect(outline.contains { $0.hasPrefix("changed:config.json") || $0.hasPrefix("missing:config.json:0:") })
            #expect(!outline.contains { $0.contains("added") })
        }
    }

    /// A file whose name looks like a shard name is still a file in `files` mode.
    @Test func ignoreUnsignedFilesWithColonsInFileNames() throws {
        let s = try Signed(files: [("a:b.txt", [1]), ("x:1:2", [2]), ("plain", [3])])
        defer { s.folder.remove() }
        try s.write("unsigned", [4])
        let report = try s.verify(ignoreUnsignedFiles: true)
        #expect(report.verified, "\(report.failures.map(\.summary))")
        let sharded = try Signed(
            serialization: ModelSerialization(method: .shards(shardSize: 1)), files: [("a:b.txt", [1, 2]), ("x:1:2", [2])])
        defer { sharded.folder.remove() }
        try sharded.write("unsigned", [4])
        #expect(try sharded.verify(ignoreUnsignedFiles: true).verified)
    }

    @Test func resourcePathStripsOnlyShardRanges() {
        let cases: [(String, String)] = [
            ("a.txt", "a.txt"), ("a.txt:0:4", "a.txt"), ("a:b.txt", "a:b.txt"), ("a:b.txt:4:8", "a:b.txt"), ("x:1:2:0:1", "x:1:2"),
            ("a:b:c", "a:b:c"), (".:0:10", "."),
        ]
        for (name, path) in cases {
            #expect(ModelManifest.Resource(name: name, algorithm: "sha256", digest: []).path == path, "\(name)")
        }
    }

    /// NFC "é" and NFD "e\u{301}" are different files: a change to either must be caught.
    @Test(arguments: ["\u{E9}.txt", "e\u{301}.txt"])
    func canonicallyEquivalentNamesAreVerifiedSeparately(_ tampered: String) throws {
        let s = try Signed(files: [("\u{E9}.txt", Array("nfc".utf8)), ("e\u{301}.txt", Array("nfd".utf8))])
        defer { s.folder.remove() }
        #expect(s.manifest.resources.count == 2)
        #expect(try s.verify().verified)
        try s.write(tampered, Array("evil".utf8))
        let report = try s.verify()
        #expect(!report.verified)
        guard case .changed(let changes) = report.failures.first else {
            Issue.record("expected a change, got \(report.failures)")
            return
        }
        #expect(changes.map { Array($0.name.utf8) } == [Array(tampered.utf8)])
    }

    // MARK: single files, symlinks, signature inside the model

    @Test func singleFileModel() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 8)
        let path = try folder.write("model.safetensors", rng.bytes(5000))
        let key = SigningKey(generating: .p384)
        let manifest = try ModelHasher(serialization: ModelSerialization()).manifest(for: path)
        #expect(manifest.resources.map(\.name) == ["."])
        #expect(manifest.modelName == "model.safetensors")
        let bundle = try ModelSigner(key: key).sign(manifest)
        let verifier = ModelVerifier(key: key.publicKey)
        #expect(try verifier.verify(modelAt: path, bundle: bundle, source: "s").verified)
        let statement = try InTotoStatement(payload: bundle.envelope.payload, source: "s")
        #expect(statement.subjects.map(\.name) == ["model.safetensors"])

        try folder.write("model.safetensors", rng.bytes(5000))
        #expect(Self.outline(try verifier.verify(modelAt: path, bundle: bundle, source: "s")) == ["changed:."])
        // A folder checked against a single file's signature.
        try folder.write("dir/x", [1])
        #expect(Self.outline(try verifier.verify(modelAt: folder.url("dir"), bundle: bundle, source: "s")) == ["extra:x", "missing:."])
    }

    @Test func symlinksMakeVerificationImpossibleUnlessSigned() throws {
        let s = try Signed()
        defer { s.folder.remove() }
        #expect(symlink(s.model + "/README.md", s.model + "/link.md") == 0)
        #expect(throws: WardenError.invalidInput("")) { try s.verify() }

        let followed = try Signed(serialization: ModelSerialization(allowSymlinks: true))
        defer { followed.folder.remove() }
        #expect(symlink(followed.model + "/README.md", followed.model + "/link.md") == 0)
        #expect(Self.outline(try followed.verify()) == ["extra:link.md"])
    }

    @Test func aSignatureInsideTheModelIsIgnoredWhenNamed() throws {
        let s = try Signed()
        defer { s.folder.remove() }
        try s.write("model.sig", Array(s.bundle.jsonText.utf8))
        #expect(Self.outline(try s.verify()) == ["extra:model.sig"])
        #expect(try s.verify(extraIgnoredPaths: ["model.sig"]).verified)
    }

    @Test func signedIgnorePathsAreReapplied() throws {
        let s = try Signed(serialization: ModelSerialization(ignoredPaths: ["weights/layer1.bin", "tokenizer"]))
        defer { s.folder.remove() }
        #expect(s.manifest.resources.map(\.name) == [".gitignore", "README.md", "config.json", "empty.txt", "weights/layer0.bin"])
        try s.write("weights/layer1.bin", [0])
        try s.write("tokenizer/new.txt", [0])
        #expect(try s.verify().verified)
    }

    // MARK: payloads that make verification impossible

    struct Unreadable: Sendable, CustomTestStringConvertible {
        var id: String
        var code: WardenError.Code
        var testDescription: String { id }
    }

    static let unreadable: [Unreadable] = [
        Unreadable(id: "payload is not JSON", code: .invalidInput),
        Unreadable(id: "payload is not a statement", code: .invalidInput),
        Unreadable(id: "no serialization", code: .invalidInput),
        Unreadable(id: "unknown hash type", code: .unsupported),
        Unreadable(id: "no resources", code: .invalidInput),
        Unreadable(id: "resource without digest", code: .invalidInput),
        Unreadable(id: "digest not hex", code: .invalidInput),
        Unreadable(id: "model missing", code: .notFound),
    ]

    @Test(arguments: unreadable)
    func unreadablePayloadsThrow(_ c: Unreadable) throws {
        let s = try Signed()
        defer { s.folder.remove() }
        var statement = s.statement
        let serialization = s.manifest.serialization.json
        var path: String?
        let bundle: SigstoreBundle
        switch c.id {
        case "payload is not JSON": bundle = try s.signing(payload: Array("not json".utf8))
        case "payload is not a statement": bundle = try s.signing(payload: Array(#"{"_type":"other"}"#.utf8))
        case "no serialization":
            statement.predicate = .object([("resources", [])])
            bundle = try s.signing(statement)
        case "unknown hash type":
            statement.predicate = .object([
                ("serialization", .object([("method", "files"), ("hash_type", "sha3-256")])), ("resources", []),
            ])
            bundle = try s.signing(statement)
        case "no resources":
            statement.predicate = .object([("serialization", serialization)])
            bundle = try s.signing(statement)
        case "resource without digest":
            statement.predicate = .object([
                ("serialization", serialization), ("resources", [.object([("name", "README.md"), ("algorithm", "sha256")])]),
            ])
            bundle = try s.signing(statement)
        case "digest not hex":
            statement.predicate = .object([
                ("serialization", serialization),
                ("resources", [.object([("name", "README.md"), ("algorithm", "sha256"), ("digest", "zz")])]),
            ])
            bundle = try s.signing(statement)
        case "model missing":
            bundle = s.bundle
            path = s.folder.url("nothing")
        default:
            Issue.record("unknown case \(c.id)")
            return
        }
        #expect(throws: WardenError(code: c.code, message: "")) { try s.verify(bundle, path: path) }
    }

    /// The report is Codable for `--json`, with a `verified` flag.
    @Test func reportEncodesWithVerifiedFlag() throws {
        let s = try Signed()
        defer { s.folder.remove() }
        try s.write("README.md", [0])
        let report = try s.verify()
        let data = try JSONEncoder().encode(report)
        let json = try JSONParser().parse(Array(data))
        #expect(json["verified"] == false)
        #expect(json["modelName"] == "model")
        #expect(try JSONDecoder().decode(ModelVerificationReport.self, from: data) == report)
    }
}
