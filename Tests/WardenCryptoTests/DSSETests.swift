import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

struct DSSETests {
    /// The example from the DSSE v1 protocol specification.
    @Test func paeKnownVector() {
        let pae = DSSEEnvelope.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test(arguments: [
        ("", [UInt8](), "DSSEv1 0  0 "),
        ("é", [0xFF, 0x00], "DSSEv1 2 é 2 \u{FF}\u{0}"),
        ("application/vnd.in-toto+json", Array("{}".utf8), "DSSEv1 28 application/vnd.in-toto+json 2 {}"),
    ])
    func paeCountsBytesNotCharacters(_ type: String, _ payload: [UInt8], _ expected: String) {
        let pae = DSSEEnvelope.pae(payloadType: type, payload: payload)
        var want = Array("DSSEv1 \(type.utf8.count) ".utf8) + Array(type.utf8) + Array(" \(payload.count) ".utf8)
        want += payload
        #expect(pae == want)
        if payload.allSatisfy({ $0 < 0x80 }) { #expect(String(decoding: pae, as: UTF8.self) == expected) }
    }

    @Test(arguments: KeyType.allCases)
    func signAndVerifyPerKeyType(_ type: KeyType) throws {
        let key = SigningKey(generating: type)
        let payload = Array(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8)
        let envelope = try DSSEEnvelope.sign(
            payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: key.publicKey.keyID)
        #expect(envelope.signatures.count == 1)
        #expect(envelope.signatures[0].keyID == key.publicKey.keyID)
        #expect(envelope.isValidSignature(by: key.publicKey))
        // The signature is over the PAE, not the bare payload.
        let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: payload)
        #expect(key.publicKey.isValidSignature(envelope.signatures[0].sig, for: pae))
        #expect(!key.publicKey.isValidSignature(envelope.signatures[0].sig, for: payload))

        // JSON round trip.
        let reread = try DSSEEnvelope(json: try JSONParser().parse(envelope.json.compactString), source: "env")
        #expect(reread == envelope)
        #expect(reread.isValidSignature(by: key.publicKey))
    }

    enum Tamper: String, Sendable, CaseIterable {
        case payloadByte, payloadAppended, payloadEmptied, payloadType, signatureBit, signatureTruncated, noSignatures
        case otherKey, otherKeyType, signatureMovedToAnotherEnvelope
    }

    @Test(arguments: KeyType.allCases, Tamper.allCases)
    func tamperedEnvelopesDoNotVerify(_ type: KeyType, _ tamper: Tamper) throws {
        let key = SigningKey(generating: type)
        var envelope = try DSSEEnvelope.sign(
            payload: Array("payload".utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: "")
        var verifier = key.publicKey
        switch tamper {
        case .payloadByte: envelope.payload[0] ^= 0x20
        case .payloadAppended: envelope.payload.append(0x20)
        case .payloadEmptied: envelope.payload = []
        case .payloadType: envelope.payloadType = "application/json"
        case .signatureBit: envelope.signatures[0].sig[envelope.signatures[0].sig.count - 1] ^= 0x01
        case .signatureTruncated: envelope.signatures[0].sig.removeLast()
        case .noSignatures: envelope.signatures = []
        case .otherKey: verifier = SigningKey(generating: type).publicKey
        case .otherKeyType: verifier = SigningKey(generating: type == .p256 ? .p384 : .p256).publicKey
        case .signatureMovedToAnotherEnvelope:
            let other = try DSSEEnvelope.sign(
                payload: Array("other".utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: "")
            envelope.signatures = other.signatures
        }
        #expect(!envelope.isValidSignature(by: verifier))
    }

    @Test func anyOneValidSignatureIsEnoughAndKeyIDsAreNotTrusted() throws {
        let key = SigningKey(generating: .p256)
        let other = SigningKey(generating: .p256)
        var envelope = try DSSEEnvelope.sign(payload: [1, 2], payloadType: "t", key: other, keyID: key.publicKey.keyID)
        #expect(!envelope.isValidSignature(by: key.publicKey))
        let good = try DSSEEnvelope.sign(payload: [1, 2], payloadType: "t", key: key, keyID: "whatever")
        envelope.signatures += good.signatures
        #expect(envelope.isValidSignature(by: key.publicKey))
        #expect(envelope.isValidSignature(by: other.publicKey))
    }

    /// model-signing's envelopes verify as plain DSSE with the fixture keys.
    @Test(arguments: OMSFixtures.signatures)
    func fixtureEnvelopesVerify(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        #expect(bundle.envelope.isValidSignature(by: try OMSFixtures.publicKey(fixture.key)))
        for other in [KeyType.p256, .p384, .p521] where other != fixture.key {
            #expect(!bundle.envelope.isValidSignature(by: try OMSFixtures.publicKey(other)))
        }
    }

    @Test func jsonUsesTheSpecKeyOrderAndStandardBase64() throws {
        let envelope = DSSEEnvelope(payload: [0xFB, 0xFF], payloadType: "t", signatures: [.init(keyID: "k", sig: [0xFF, 0xEF])])
        #expect(envelope.json.compactString == #"{"payload":"+/8=","payloadType":"t","signatures":[{"keyid":"k","sig":"/+8="}]}"#)
    }

    @Test func readsURLSafeAndUnpaddedBase64() throws {
        let json = try JSONParser().parse(#"{"payload":"-_8","payloadType":"t","signatures":[{"sig":"_-8"}]}"#)
        let envelope = try DSSEEnvelope(json: json, source: "env")
        #expect(envelope.payload == [0xFB, 0xFF])
        #expect(envelope.signatures == [.init(keyID: "", sig: [0xFF, 0xEF])])
    }

    struct BadEnvelope: Sendable, CustomTestStringConvertible {
        var id: String
        var json: String
        var testDescription: String { id }
    }

    static let badEnvelopes: [BadEnvelope] = [
        BadEnvelope(id: "not an object", json: "[]"),
        BadEnvelope(id: "no payload", json: #"{"payloadType":"t","signatures":[{"sig":"AA=="}]}"#),
        BadEnvelope(id: "payload not a string", json: #"{"payload":1,"payloadType":"t","signatures":[{"sig":"AA=="}]}"#),
        BadEnvelope(id: "no payloadType", json: #"{"payload":"AA==","signatures":[{"sig":"AA=="}]}"#),
        BadEnvelope(id: "payload not base64", json: #"{"payload":"!!!!","payloadType":"t","signatures":[{"sig":"AA=="}]}"#),
        BadEnvelope(id: "payload bad length", json: #"{"payload":"AAAAA","payloadType":"t","signatures":[{"sig":"AA=="}]}"#),
        BadEnvelope(id: "no signatures", json: #"{"payload":"AA==","payloadType":"t"}"#),
        BadEnvelope(id: "empty signatures", json: #"{"payload":"AA==","payloadType":"t","signatures":[]}"#),
        BadEnvelope(id: "signatures not a list", json: #"{"payload":"AA==","payloadType":"t","signatures":{"sig":"AA=="}}"#),
        BadEnvelope(id: "signature without sig", json: #"{"payload":"AA==","payloadType":"t","signatures":[{"keyid":""}]}"#),
        BadEnvelope(id: "sig not base64", json: #"{"payload":"AA==","payloadType":"t","signatures":[{"sig":"%%"}]}"#),
        BadEnvelope(id: "sig not a string", json: #"{"payload":"AA==","payloadType":"t","signatures":[{"sig":[1]}]}"#),
    ]

    @Test(arguments: badEnvelopes)
    func malformedEnvelopesAreInvalidInput(_ c: BadEnvelope) throws {
        let json = try JSONParser().parse(c.json)
        #expect(throws: WardenError.invalidInput("")) { try DSSEEnvelope(json: json, source: "env.json") }
    }

    @Test(arguments: [
        ("", [UInt8]()), ("QQ", [0x41]), ("QQ=", [0x41]), ("QQ==", [0x41]), ("QUI=", [0x41, 0x42]), ("QUJD", [0x41, 0x42, 0x43]),
        ("QU\nJD", [0x41, 0x42, 0x43]), ("-_8", [0xFB, 0xFF]), ("+/8=", [0xFB, 0xFF]),
    ])
    func base64Decoding(_ text: String, _ bytes: [UInt8]) {
        #expect(Base64.decode(text) == bytes)
    }

    @Test(arguments: ["Q", "QQQQQ", "Q!==", "QQ==QQ==", "日本"])
    func base64Rejects(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func base64RoundTrip() {
        var rng = SeededGenerator(seed: 11)
        for count in 0..<70 {
            let bytes = rng.bytes(count)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }
}
