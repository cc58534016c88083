import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

struct SigstoreBundleTests {
    @Test(arguments: OMSFixtures.signatures)
    func parsesModelSigningBundles(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        #expect(bundle.publicKeyHint == OMSFixtures.publicKeyHints[fixture.key])
        #expect(bundle.envelope.payloadType == "application/vnd.in-toto+json")
        #expect(bundle.envelope.signatures.count == 1)
        #expect(bundle.envelope.signatures[0].keyID == "")
        let statement = try InTotoStatement(payload: bundle.envelope.payload, source: fixture.file)
        #expect(statement.predicateType == "https://model_signing/signature/v1.0")
        #expect(statement.subjects.map(\.name) == ["model"])
        #expect(statement.subjects.first?.digest == ["sha256": fixture.root])
    }

    /// Serialising a parsed bundle gives model-signing's file back byte for byte: compact, one
    /// line, keys in `sigstore_models` order, standard padded base64, no trailing newline.
    @Test(arguments: OMSFixtures.signatures)
    func serialisesExactlyAsModelSigningDoes(_ fixture: OMSFixtures.Signature) throws {
        let bundle = try OMSFixtures.bundle(fixture.file)
        #expect(bundle.jsonText == (try OMSFixtures.text(fixture.file)))
        #expect(try SigstoreBundle(parsing: Array(bundle.jsonText.utf8), source: "again") == bundle)
    }

    @Test func keyOrderFollowsTheSpec() throws {
        let bundle = SigstoreBundle(
            publicKeyHint: "abc", envelope: DSSEEnvelope(payload: [1], payloadType: "t", signatures: [.init(keyID: "", sig: [2])]))
        #expect(
            bundle.jsonText
                == #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"abc"},"tlogEntries":[]},"dsseEnvelope":{"payload":"AQ==","payloadType":"t","signatures":[{"sig":"Ag==","keyid":""}]}}"#
        )
        let noHint = SigstoreBundle(publicKeyHint: nil, envelope: bundle.envelope)
        #expect(noHint.jsonText.contains(#""verificationMaterial":{"tlogEntries":[]}"#))
        #expect(try SigstoreBundle(parsing: Array(noHint.jsonText.utf8), source: "x").publicKeyHint == nil)
    }

    /// Fields model-signing drops or defaults on read (rawBytes, keyDetails, missing tlogEntries)
    /// do not stop Warden either.
    @Test func toleratesExtraAndMissingOptionalFields() throws {
        let text = #"""
            {"dsseEnvelope":{"signatures":[{"sig":"Ag==","keyid":"x"}],"payloadType":"t","payload":"AQ=="},
             "verificationMaterial":{"publicKey":{"hint":"h","rawBytes":"AAAA"},"keyDetails":"PKIX_ECDSA_P256_SHA_256"},
             "mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","extra":true}
            """#
        let bundle = try SigstoreBundle(parsing: Array(text.utf8), source: "x")
        #expect(bundle.publicKeyHint == "h")
        #expect(bundle.envelope.payload == [1])
        #expect(bundle.envelope.signatures == [.init(keyID: "x", sig: [2])])
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        var id: String
        var text: String
        var code: WardenError.Code
        var mentions: String
        var testDescription: String { id }
    }

    static let media = "application/vnd.dev.sigstore.bundle.v0.3+json"
    static let envelope = #""dsseEnvelope":{"payload":"AQ==","payloadType":"t","signatures":[{"sig":"Ag==","keyid":""}]}"#

    static let hostile: [Hostile] = [
        Hostile(id: "empty file", text: "", code: .invalidInput, mentions: "not valid JSON"),
        Hostile(id: "not JSON", text: "model.sig\n", code: .invalidInput, mentions: "not valid JSON"),
        Hostile(id: "array", text: "[]", code: .invalidInput, mentions: "mediaType"),
        Hostile(id: "string", text: #""x""#, code: .invalidInput, mentions: "mediaType"),
        Hostile(id: "null", text: "null", code: .invalidInput, mentions: "mediaType"),
        Hostile(id: "empty object", text: "{}", code: .invalidInput, mentions: "mediaType"),
        Hostile(id: "mediaType not a string", text: #"{"mediaType":3,"# + envelope + "}", code: .invalidInput, mentions: "mediaType"),
        Hostile(
            id: "older media type",
            text: #"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.2","# + envelope + "}",
            code: .unsupported, mentions: "version=0.2"),
        Hostile(
            id: "v0.3 without +json", text: #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3","# + envelope + "}",
            code: .unsupported, mentions: "expected"),
        Hostile(
            id: "message signature bundle",
            text: #"{"mediaType":"\#(media)","messageSignature":{"messageDigest":{},"signature":"AA=="}}"#,
            code: .invalidInput, mentions: "without a DSSE envelope"),
        Hostile(id: "envelope not an object", text: #"{"mediaType":"\#(media)","dsseEnvelope":"x"}"#, code: .invalidInput, mentions: "payload"),
        Hostile(
            id: "payload not base64",
            text: #"{"mediaType":"\#(media)","dsseEnvelope":{"payload":"***","payloadType":"t","signatures":[{"sig":"Ag=="}]}}"#,
            code: .invalidInput, mentions: "base64"),
        Hostile(
            id: "no signatures",
            text: #"{"mediaType":"\#(media)","dsseEnvelope":{"payload":"AQ==","payloadType":"t","signatures":[]}}"#,
            code: .invalidInput, mentions: "no signatures"),
        Hostile(
            id: "signature not base64",
            text: #"{"mediaType":"\#(media)","dsseEnvelope":{"payload":"AQ==","payloadType":"t","signatures":[{"sig":"A"}]}}"#,
            code: .invalidInput, mentions: "base64"),
        Hostile(id: "duplicate keys", text: #"{"mediaType":"\#(media)","mediaType":"\#(media)"}"#, code: .invalidInput, mentions: "duplicate"),
    ]

    @Test(arguments: hostile)
    func hostileBundlesAreRejectedWithAWardenError(_ c: Hostile) {
        do throws(WardenError) {
            _ = try SigstoreBundle(parsing: Array(c.text.utf8), source: "evil.sig")
            Issue.record("accepted")
        } catch {
            #expect(error.code == c.code, "\(error)")
            #expect(error.message.contains(c.mentions), "\(error.message)")
            #expect(error.message.contains("evil.sig"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test(arguments: ["model-p256.sig", "model-p256-shards4.sig"])
    func everyTruncationAndBitFlipParsesOrThrows(_ name: String) throws {
        let input = try OMSFixtures.bytes(name)
        let outcome = ParserVerifier.verify(input, flips: 400, maxTruncations: input.count) { bytes in
            let bundle: SigstoreBundle
            do throws(WardenError) {
                bundle = try SigstoreBundle(parsing: bytes, source: name)
            } catch {
                #expect(error.code == .invalidInput || error.code == .unsupported)
                throw error
            }
            // What parses re-serialises and parses again.
            #expect(try SigstoreBundle(parsing: Array(bundle.jsonText.utf8), source: "again") == bundle)
        }
        // Only the whole file and flips inside free text (base64 payload, hint) still parse.
        #expect(outcome.rejected >= input.count)
        #expect(outcome.parsed >= 1)
    }

    /// A bit flip that still parses and changes what was signed must not verify.
    @Test func bitFlipsThatStillParseDoNotVerify() throws {
        let input = try OMSFixtures.bytes("model-p256.sig")
        let key = try OMSFixtures.publicKey(.p256)
        let original = try SigstoreBundle(parsing: input, source: "x").envelope
        var parsed = 0
        var changedButVerified = 0
        ParserVerifier.verify(input, flips: 400, maxTruncations: 1, seed: 3) { bytes in
            let envelope = try SigstoreBundle(parsing: bytes, source: "x").envelope
            parsed += 1
            let changed = envelope.payload != original.payload || envelope.payloadType != original.payloadType
            if changed && envelope.isValidSignature(by: key) { changedButVerified += 1 }
        }
        #expect(changedButVerified == 0)
        // Most flips land in the base64 payload and many still decode: the check above is not vacuous.
        #expect(parsed > 50)
    }
}
