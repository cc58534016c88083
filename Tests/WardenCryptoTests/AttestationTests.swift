import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

struct AttestationTests {
    static func provenance() -> SLSAProvenance {
        SLSAProvenance(
            externalParameters: ["command": ["python", "train.py"], "parameters": ["lr": "0.1"]],
            internalParameters: ["workingDirectory": "/work"],
            resolvedDependencies: [ResourceDescriptor(name: "train.csv", digest: ["sha256": Digest.sha256("data").hex])],
            builderVersion: ["warden": "0.1.0"], invocationID: "id-1", startedOn: "2026-01-01T00:00:00.000Z",
            finishedOn: "2026-01-01T00:01:00.000Z", byproducts: [ResourceDescriptor(name: "exit-code", annotations: ["code": 0])])
    }

    static func envelope(_ key: SigningKey, subject: String = "weights") throws -> DSSEEnvelope {
        let statement = provenance().statement(subjects: [.init(name: "model.bin", digest: ["sha256": Digest.sha256(subject).hex])])
        return try DSSEEnvelope.sign(payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: key.publicKey.keyID)
    }

    @Test func thePredicateHasExactlyTheSLSAFields() {
        let json = Self.provenance().json
        #expect(json.objectValue?.map(\.0) == ["buildDefinition", "runDetails"])
        #expect(json["buildDefinition"]?.objectValue?.map(\.0) == ["buildType", "externalParameters", "internalParameters", "resolvedDependencies"])
        #expect(json["runDetails"]?.objectValue?.map(\.0) == ["builder", "metadata", "byproducts"])
        #expect(json["runDetails"]?["metadata"]?.objectValue?.map(\.0) == ["invocationId", "startedOn", "finishedOn"])
        #expect(json["buildDefinition"]?["buildType"]?.stringValue == SLSAProvenance.buildType)
    }

    @Test(arguments: KeyType.allCases)
    func signAndVerifyWithEveryKeyType(_ type: KeyType) throws {
        let key = SigningKey(generating: type)
        let report = try AttestationVerifier(key: key.publicKey).verify(
            try Self.envelope(key), source: "test", files: [("model.bin", Digest.sha256("weights"))])
        #expect(report.verified)
        #expect(report.predicateType == SLSAProvenance.predicateType)
        #expect(report.subjects == ["model.bin"])
    }

    @Test func wrongKeyTamperedPayloadAndChangedFileFail() throws {
        let key = SigningKey(generating: .p256)
        let other = SigningKey(generating: .p256)
        var envelope = try Self.envelope(key)
        #expect(try !AttestationVerifier(key: other.publicKey).verify(envelope, source: "t", files: []).verified)
        #expect(try !AttestationVerifier(key: key.publicKey).verify(envelope, source: "t", files: [("model.bin", Digest.sha256("changed"))]).verified)
        envelope.payload[envelope.payload.count / 2] ^= 1
        #expect(try !AttestationVerifier(key: key.publicKey).verify(envelope, source: "t", files: []).signatureValid)
    }

    @Test func aSignedPayloadThatIsNotAStatementIsAnError() throws {
        let key = SigningKey(generating: .p256)
        let envelope = try DSSEEnvelope.sign(payload: Array("[1,2]".utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: "")
        #expect(throws: WardenError.self) { try AttestationVerifier(key: key.publicKey).verify(envelope, source: "t", files: []) }
        let other = try DSSEEnvelope.sign(payload: Array("{}".utf8), payloadType: "text/plain", key: key, keyID: "")
        #expect(throws: WardenError.self) { try AttestationVerifier(key: key.publicKey).verify(other, source: "t", files: []) }
    }

    @Test(arguments: [
        "", "[]", "{}", #"{"payload": 1}"#, #"{"payload": "%%%", "payloadType": "x", "signatures": [{"sig": "AA=="}]}"#,
        #"{"payload": "e30=", "payloadType": "x", "signatures": []}"#, #"{"payload": "e30=", "payloadType": "x", "signatures": [{"sig": "***"}]}"#,
        String(repeating: "[", count: 500),
    ])
    func hostileEnvelopesAreClearErrors(_ text: String) {
        #expect(throws: WardenError.self) { try AttestationVerifier.envelope(from: Array(text.utf8), source: "'x.json'") }
    }

    /// Every truncation and many bit flips of a real envelope: an error or an envelope, never a crash.
    @Test func truncationsAndBitFlips() throws {
        let key = SigningKey(generating: .p256)
        let bytes = Array((try Self.envelope(key)).json.prettyString(indent: 2).utf8)
        var generator = SeededGenerator(seed: 11)
        var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes.prefix($0)) }
        for _ in 0..<300 {
            var flipped = bytes
            let index = Int.random(in: 0..<flipped.count, using: &generator)
            flipped[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            variants.append(flipped)
        }
        var parsed = 0
        for variant in variants {
            if let envelope = try? AttestationVerifier.envelope(from: variant, source: "v") {
                parsed += 1
                _ = try? AttestationVerifier(key: key.publicKey).verify(envelope, source: "v", files: [])
            }
        }
        #expect(parsed < variants.count)
    }
}
