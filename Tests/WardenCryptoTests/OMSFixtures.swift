import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// The files under `Fixtures/` (test resources): model-signing 1.1.1 signatures and keys, and
/// known-answer vectors. One loader for all of them.
enum OMSFixtures {
    static let fixturesRoot: String = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("The test resources have no Fixtures folder")
        }
        return url.path
    }()

    /// `Fixtures/oms-1.1.1/<name>`.
    static func path(_ name: String) -> String { fixturesRoot + "/oms-1.1.1/" + name }

    /// The model folder the fixture signatures were made over.
    static var model: String { path("model") }

    static func bytes(_ name: String) throws -> [UInt8] { try FileIO.readAll(path(name)) }

    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }

    static func signingKey(_ type: KeyType, sec1: Bool = false) throws -> SigningKey {
        try SigningKey(file: path("\(type.rawValue)-private\(sec1 ? "-sec1" : "").pem"))
    }

    static func publicKey(_ type: KeyType) throws -> PublicKey {
        try PublicKey(file: path("\(type.rawValue)-public.pem"))
    }

    static func bundle(_ name: String) throws -> SigstoreBundle {
        try SigstoreBundle(parsing: try bytes(name), source: name)
    }

    /// One signature made by model-signing 1.1.1 over ``model``.
    struct Signature: Sendable, CustomTestStringConvertible {
        var file: String
        var key: KeyType
        /// The resource algorithm recorded, as Warden reports it.
        var serialization: String
        var resourceCount: Int
        var root: String
        var testDescription: String { file }
    }

    static let signatures: [Signature] = [
        Signature(
            file: "model-p256.sig", key: .p256, serialization: "sha256", resourceCount: 4,
            root: "ceba58197b8d4f344a81bbc9a9d567c133faf0762688a47073c76e9005a11372"),
        Signature(
            file: "model-p384.sig", key: .p384, serialization: "sha256", resourceCount: 4,
            root: "ceba58197b8d4f344a81bbc9a9d567c133faf0762688a47073c76e9005a11372"),
        Signature(
            file: "model-p521.sig", key: .p521, serialization: "sha256", resourceCount: 4,
            root: "ceba58197b8d4f344a81bbc9a9d567c133faf0762688a47073c76e9005a11372"),
        Signature(
            file: "model-p256-blake2.sig", key: .p256, serialization: "blake2b", resourceCount: 4,
            root: "220814414d85062c87fb65fd19b7bc19ccdb5940347209c1074510183adabedc"),
        Signature(
            file: "model-p256-blake3.sig", key: .p256, serialization: "blake3", resourceCount: 4,
            root: "a86d8401196f00f7509b7ae5dbb841b98b96d5f2649b0feb7d7464c3d94618f4"),
        Signature(
            file: "model-p256-shards4.sig", key: .p256, serialization: "sha256-sharded-4", resourceCount: 7,
            root: "86df26476164dbf0b623c28e769c2f4ad03afc8617b75b99edcbe772e6fbd4a8"),
    ]

    /// `sha256sum *-public.pem` of the fixture keys: the hint model-signing records.
    static let publicKeyHints: [KeyType: String] = [
        .p256: "09ff30a2b1e04b4eeff4a64484e74cca52c725e02c6921825c338b0e9023b086",
        .p384: "e1954b444087368169e2d5b940fdd18fb305752c1d5572dd98a56086a2594978",
        .p521: "826281b26e64b563bae12e6345b4c62c776efd0fd94e0e5449fcb57ea6642c73",
        .ed25519: "66b15b60690ae208a358d09efba71f046760b006aaafa40ae07beaad8eaf09af",
    ]

    /// The resources of a signed payload as a set of (name, algorithm, hex digest).
    static func resources(ofPayload payload: [UInt8]) throws -> Set<[String]> {
        let statement = try InTotoStatement(payload: payload, source: "payload")
        var out = Set<[String]>()
        for item in statement.predicate["resources"]?.arrayValue ?? [] {
            out.insert([
                item["name"]?.stringValue ?? "?", item["algorithm"]?.stringValue ?? "?", item["digest"]?.stringValue ?? "?",
            ])
        }
        return out
    }
}

/// Known-answer vectors stored as JSON under `Fixtures/known-answers/`.
enum KnownAnswers {
    static func load(_ name: String) throws -> JSONValue {
        try JSONParser().parse(try FileIO.readAll(OMSFixtures.fixturesRoot + "/known-answers/" + name), source: name)
    }

    /// One model manifest computed independently in Python.
    struct ModelVector: Sendable, CustomTestStringConvertible {
        var id: String
        var serialization: JSONValue
        var root: String
        var resources: [[String]]
        /// A fixture folder, or files to write (relative path → bytes; "." for a single-file model).
        var fixture: String?
        var files: [String: [UInt8]]
        var testDescription: String { id }

        /// Writes the model (when it is not a fixture folder) and returns its path.
        func materialise(in folder: TemporaryDirectory) throws -> String {
            if let fixture { return OMSFixtures.fixturesRoot + "/" + fixture }
            if let single = files["."] { return try folder.write("model.bin", single) }
            for (name, bytes) in files { try folder.write("model/" + name, bytes) }
            return folder.url("model")
        }
    }

    static let modelVectors: [ModelVector] = {
        do {
            let document = try load("model-manifests.json")
            return try (document["vectors"]?.arrayValue ?? []).map { item in
                var files: [String: [UInt8]] = [:]
                for (name, value) in item["files"]?.objectValue ?? [] {
                    guard let bytes = Base64.decode(value.stringValue ?? "") else { throw WardenError.invalidInput(name) }
                    files[name] = bytes
                }
                return ModelVector(
                    id: item["id"]?.stringValue ?? "?", serialization: item["serialization"] ?? .null,
                    root: item["root"]?.stringValue ?? "?",
                    resources: (item["resources"]?.arrayValue ?? []).map { r in
                        ["name", "algorithm", "digest"].map { r[$0]?.stringValue ?? "?" }
                    },
                    fixture: item["fixture"]?.stringValue, files: files)
            }
        } catch {
            fatalError("Cannot load the model known-answer vectors: \(error)")
        }
    }()
}
