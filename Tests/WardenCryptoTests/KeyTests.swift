import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

struct KeyTests {
    @Test(arguments: KeyType.allCases)
    func generatedKeysSignAndRoundTripThroughPEM(_ type: KeyType) throws {
        let key = SigningKey(generating: type)
        #expect(key.type == type)
        #expect(key.publicKey.type == type)

        let reread = try SigningKey(pem: key.pkcs8PEMText, source: "generated")
        #expect(reread.type == type)
        #expect(reread.publicKey.spkiDER == key.publicKey.spkiDER)
        #expect(reread.pkcs8PEMText == key.pkcs8PEMText)

        let publicKey = try PublicKey(pem: key.publicKey.pemText, source: "generated")
        #expect(publicKey.spkiDER == key.publicKey.spkiDER)
        #expect(publicKey.keyID == key.publicKey.keyID)
        #expect(publicKey.omsHint == Digest.sha256(key.publicKey.pemText).hex)

        let message = Array("message".utf8)
        let signature = try key.signature(for: message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("massage".utf8)))
        #expect(!SigningKey(generating: type).publicKey.isValidSignature(signature, for: message))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!publicKey.isValidSignature(flipped, for: message))
        #expect(!publicKey.isValidSignature([], for: message))
    }

    @Test(arguments: KeyType.allCases)
    func pemTextHasTheOpenSSLLayout(_ type: KeyType) throws {
        for text in [SigningKey(generating: type).pkcs8PEMText, SigningKey(generating: type).publicKey.pemText] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(text.hasSuffix("-----\n"))
            #expect(lines.first?.hasPrefix("-----BEGIN ") == true)
            let body = lines.dropFirst().dropLast(2)
            #expect(body.dropLast().allSatisfy { $0.count == 64 })
            #expect((1...64).contains(body.last?.count ?? 0))
        }
    }

    @Test func keyTypesNameTheirSchemes() {
        #expect(KeyType.allCases.map(\.schemeName) == ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ed25519"])
        #expect(KeyType.allCases.filter(\.isOMSCompatible) == [.p256, .p384, .p521])
    }

    // MARK: fixtures written by Python's cryptography

    @Test(arguments: [KeyType.p256, .p384, .p521])
    func fixtureECKeysParseInBothEncodings(_ type: KeyType) throws {
        let pkcs8 = try OMSFixtures.signingKey(type)
        let sec1 = try OMSFixtures.signingKey(type, sec1: true)
        let publicKey = try OMSFixtures.publicKey(type)
        #expect(pkcs8.type == type)
        #expect(sec1.type == type)
        #expect(publicKey.type == type)
        #expect(pkcs8.publicKey.spkiDER == publicKey.spkiDER)
        #expect(sec1.publicKey.spkiDER == publicKey.spkiDER)
        // Byte for byte what cryptography wrote.
        #expect(publicKey.pemText == (try OMSFixtures.text("\(type.rawValue)-public.pem")))
        #expect(pkcs8.publicKey.pemText == (try OMSFixtures.text("\(type.rawValue)-public.pem")))
        #expect(pkcs8.pkcs8PEMText == (try OMSFixtures.text("\(type.rawValue)-private.pem")))
        #expect(sec1.pkcs8PEMText == pkcs8.pkcs8PEMText)
        // A signature by either encoding verifies with the fixture public key.
        let message = Array("fixture".utf8)
        #expect(publicKey.isValidSignature(try sec1.signature(for: message), for: message))
    }

    @Test(arguments: KeyType.allCases)
    func fixtureHintIsTheSHA256OfThePublicPEMFile(_ type: KeyType) throws {
        let publicKey = try OMSFixtures.publicKey(type)
        let expected = try #require(OMSFixtures.publicKeyHints[type])
        #expect(publicKey.omsHint == expected)
        #expect(Digest.sha256(try OMSFixtures.bytes("\(type.rawValue)-public.pem")).hex == expected)
        #expect(publicKey.keyID == Digest.sha256(publicKey.spkiDER).hex)
        #expect(publicKey.keyID != publicKey.omsHint)
    }

    @Test func fixtureEd25519KeysParseAndMatch() throws {
        let key = try OMSFixtures.signingKey(.ed25519)
        let publicKey = try OMSFixtures.publicKey(.ed25519)
        #expect(key.type == .ed25519)
        #expect(key.publicKey.spkiDER == publicKey.spkiDER)
        #expect(key.pkcs8PEMText == (try OMSFixtures.text("ed25519-private.pem")))
        #expect(publicKey.pemText == (try OMSFixtures.text("ed25519-public.pem")))
    }

    @Test func pemParsingToleratesCRLFAndSurroundingText() throws {
        let pem = try OMSFixtures.text("p256-public.pem")
        let crlf = "Bag Attributes\r\n  friendlyName: key\r\n" + pem.replacingOccurrences(of: "\n", with: "\r\n") + "trailing\r\n"
        let key = try PublicKey(pem: crlf, source: "crlf.pem")
        #expect(key.spkiDER == (try OMSFixtures.publicKey(.p256)).spkiDER)
        let indented = pem.split(separator: "\n").map { "  \($0)  " }.joined(separator: "\n")
        #expect(try PublicKey(pem: indented, source: "indented.pem").type == .p256)
    }

    @Test func pemRoundTrip() throws {
        var rng = SeededGenerator(seed: 5)
        for count in [0, 1, 47, 48, 49, 200] {
            let pem = PEM(type: "TEST BLOCK", der: rng.bytes(count))
            let parsed = try PEM(parsing: pem.text, source: "t")
            #expect(parsed == pem)
            #expect(!parsed.hasEncryptionHeaders)
        }
    }

    // MARK: bad key files

    enum Which: String, Sendable {
        case signing, verifying
    }

    struct BadKey: Sendable, CustomTestStringConvertible {
        var id: String
        /// The file content, or a fixture name prefixed with "fixture:".
        var input: String
        var which: Which
        var code: WardenError.Code
        /// Words the message must contain.
        var mentions: [String]
        var testDescription: String { id }
    }

    static let legacyEncrypted = """
        -----BEGIN EC PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-128-CBC,3F17F5316E2BAC89EF21F7A21D3F0A4B

        MHcCAQEEIN/om5ErVS57SRwLtnJTdgNRZlKSIQFKo3eiSaI74ZGYoAoGCCqGSM49
        -----END EC PRIVATE KEY-----

        """

    /// Other curves and algorithms, written by Python's cryptography (throwaway keys).
    static let otherCurves: [(id: String, text: String, which: Which, mentions: String)] = [
        ("secp256k1 SEC1 private key", """
            -----BEGIN EC PRIVATE KEY-----
            MHQCAQEEIA0DxX4dlUYooAXJnvGLM4b3qgR+FLo91asCGP2Mrf8RoAcGBSuBBAAK
            oUQDQgAEc3EfhKpHUDI9bmOJsLWkYfjtYuhvtV0Z8dbNiR0J39Xi/z96Bq81Wvyo
            wrUQ97ri3EhAuf9/ZXqroLepnSckag==
            -----END EC PRIVATE KEY-----
            """, .signing, "secp256k1"),
        ("secp256k1 public key", """
            -----BEGIN PUBLIC KEY-----
            MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEaI5gYoYAEPb9odRJuKOLqT7zwEtMJsNk
            4QWHqTAlSJN6tkFeAFCOFq3b0rhwLhWF2yv5np0lyEEk1M0HdLRxwg==
            -----END PUBLIC KEY-----
            """, .verifying, "secp256k1"),
        ("secp224r1 private key", """
            -----BEGIN EC PRIVATE KEY-----
            MGgCAQEEHMtaLJn+rBna16PEorwCJaW5f+TU1iUo3QbhnDigBwYFK4EEACGhPAM6
            AARAWdkxBJ31YeAaVDXNSaPGTWbdXY0OOZgebHSXgU7T3a7x3CElgBmQGPF8RH4s
            PRTEZPReD7vE5g==
            -----END EC PRIVATE KEY-----
            """, .signing, "another curve"),
        ("secp224r1 public key", """
            -----BEGIN PUBLIC KEY-----
            ME4wEAYHKoZIzj0CAQYFK4EEACEDOgAEQFnZMQSd9WHgGlQ1zUmjxk1m3V2NDjmY
            Hmx0l4FO092u8dwhJYAZkBjxfER+LD0UxGT0Xg+7xOY=
            -----END PUBLIC KEY-----
            """, .verifying, "another curve"),
        ("brainpoolP256r1 private key", """
            -----BEGIN EC PRIVATE KEY-----
            MHgCAQEEIHKeyS3zyDoiuuJ4ZUuwfvbWY/uP9d7Ks1Y+luLKk6JuoAsGCSskAwMC
            CAEBB6FEA0IABBBqn1XPU2zuP+X1ST0was2euZJtfV4qE/q8dOSf05O0n1Y7Mm4c
            K6b0ELQpn5ITHzuVpjkyhhOq5Y91ZU/qHY4=
            -----END EC PRIVATE KEY-----
            """, .signing, "brainpool"),
        ("brainpoolP256r1 public key", """
            -----BEGIN PUBLIC KEY-----
            MFowFAYHKoZIzj0CAQYJKyQDAwIIAQEHA0IABBBqn1XPU2zuP+X1ST0was2euZJt
            fV4qE/q8dOSf05O0n1Y7Mm4cK6b0ELQpn5ITHzuVpjkyhhOq5Y91ZU/qHY4=
            -----END PUBLIC KEY-----
            """, .verifying, "brainpool"),
        ("Ed448 private key", """
            -----BEGIN PRIVATE KEY-----
            MEcCAQAwBQYDK2VxBDsEOREg7cIed+8p3d1tTIbUyLAK9xeaDfyaOeQuLClLMvUI
            3RsnsMUb4hqYKfJhlHFMWwHFQ+jnYg+4RQ==
            -----END PRIVATE KEY-----
            """, .signing, "Ed448"),
        ("Ed448 public key", """
            -----BEGIN PUBLIC KEY-----
            MEMwBQYDK2VxAzoAcWDJgjLgTdLMNsUtTIJGULq+zQvQQQ1cWuIhg+BRwJBkpa9S
            UQI5zGyTbm/L+c7w+n4GA9tmnWIA
            -----END PUBLIC KEY-----
            """, .verifying, "Ed448"),
        ("X25519 private key", """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VuBCIEIAh7qbn83zOHkci+hXpKSIZWFufyTeHv1pTiITSxPPVG
            -----END PRIVATE KEY-----
            """, .signing, "X25519"),
        ("X25519 public key", """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VuAyEAYa6ZJPwe1iEaupg2SZdIZf6y0ilS+5bXFJAJ1WXgkxg=
            -----END PUBLIC KEY-----
            """, .verifying, "X25519"),
    ]

    static let badKeys: [BadKey] = otherCurves.map {
        BadKey(id: $0.id, input: $0.text + "\n", which: $0.which, code: .unsupported, mentions: [$0.mentions])
    } + [
        BadKey(
            id: "PKCS#8 encrypted key", input: "fixture:p256-encrypted.pem", which: .signing, code: .unsupported,
            mentions: ["encrypted", "decrypt"]),
        BadKey(id: "legacy encrypted PEM", input: legacyEncrypted, which: .signing, code: .unsupported, mentions: ["encrypted"]),
        BadKey(id: "RSA key in PKCS#8", input: "fixture:rsa-private.pem", which: .signing, code: .unsupported, mentions: ["RSA"]),
        BadKey(
            id: "RSA PRIVATE KEY block", input: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            which: .signing, code: .unsupported, mentions: ["RSA"]),
        BadKey(
            id: "secp256k1 key", input: "fixture:secp256k1-private.pem", which: .signing, code: .unsupported,
            mentions: ["secp256k1"]),
        BadKey(
            id: "public key where a private key is expected", input: "fixture:p256-public.pem", which: .signing,
            code: .invalidInput, mentions: ["public key", "private"]),
        BadKey(
            id: "private key where a public key is expected", input: "fixture:p256-private.pem", which: .verifying,
            code: .invalidInput, mentions: ["private key", "public.pem"]),
        BadKey(
            id: "SEC1 private key where a public key is expected", input: "fixture:p384-private-sec1.pem",
            which: .verifying, code: .invalidInput, mentions: ["private key"]),
        BadKey(
            id: "encrypted key where a public key is expected", input: "fixture:p256-encrypted.pem", which: .verifying,
            code: .invalidInput, mentions: ["private key"]),
        BadKey(
            id: "certificate", input: "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", which: .verifying,
            code: .unsupported, mentions: ["certificate", "openssl x509"]),
        BadKey(
            id: "unknown block", input: "-----BEGIN DSA PARAMETERS-----\nMAA=\n-----END DSA PARAMETERS-----\n",
            which: .signing, code: .unsupported, mentions: ["DSA PARAMETERS"]),
        BadKey(id: "not PEM", input: "hello, I am not a key\n", which: .signing, code: .invalidInput, mentions: ["not a PEM"]),
        BadKey(id: "empty file", input: "", which: .verifying, code: .invalidInput, mentions: ["not a PEM"]),
        BadKey(
            id: "no END line", input: "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n",
            which: .signing, code: .invalidInput, mentions: ["truncated", "-----END PRIVATE KEY-----"]),
        BadKey(
            id: "mismatched END line", input: "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
            which: .verifying, code: .invalidInput, mentions: ["truncated"]),
        BadKey(
            id: "corrupt base64", input: "-----BEGIN PRIVATE KEY-----\nMIG*HAgEA!!\n-----END PRIVATE KEY-----\n",
            which: .signing, code: .invalidInput, mentions: ["base64"]),
        BadKey(
            id: "corrupt DER private key", input: "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n",
            which: .signing, code: .unsupported, mentions: ["corrupt DER"]),
        BadKey(
            id: "empty private key block", input: "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
            which: .signing, code: .unsupported, mentions: ["corrupt DER"]),
        BadKey(
            id: "corrupt DER public key", input: "-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n",
            which: .verifying, code: .unsupported, mentions: ["corrupt DER"]),
        BadKey(
            id: "truncated P-256 public key",
            input: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvFglDrDyIFyD6CRGo+hA+5/weK+o\n-----END PUBLIC KEY-----\n",
            which: .verifying, code: .unsupported, mentions: ["not a supported public key"]),
    ]

    @Test(arguments: badKeys)
    func badKeyFilesFailWithASpecificOneLineError(_ c: BadKey) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let text = c.input.hasPrefix("fixture:") ? try OMSFixtures.text(String(c.input.dropFirst(8))) : c.input
        let path = try folder.write("key.pem", text)
        do throws(WardenError) {
            switch c.which {
            case .signing: _ = try SigningKey(file: path)
            case .verifying: _ = try PublicKey(file: path)
            }
            Issue.record("the key was accepted")
        } catch {
            #expect(error.code == c.code, "\(error)")
            for word in c.mentions { #expect(error.message.contains(word), "\(error.message)") }
            #expect(error.message.contains(path))
            #expect(!error.description.contains("\n"))
        }
    }

    /// Files that are not keys at all: each is refused with a clear error before any parsing.
    @Test func unreadableKeyFiles() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.io("")) { try SigningKey(file: folder.url("missing.pem")) }
        #expect(throws: WardenError.io("")) { try PublicKey(file: folder.url("missing.pem")) }
        #expect(throws: WardenError.invalidInput("")) { try SigningKey(file: folder.path) }
        let binary = try folder.write("binary.pem", [0xFF, 0xFE, 0x00, 0x80])
        #expect(throws: WardenError.invalidInput("")) { try SigningKey(file: binary) }
        #expect(throws: WardenError.invalidInput("")) { try PublicKey(file: binary) }
        let huge = try folder.write("huge.pem", [UInt8](repeating: UInt8(ascii: "A"), count: (1 << 20) + 1))
        #expect(throws: WardenError.invalidInput("")) { try SigningKey(file: huge) }
    }

    /// Never a crash: every truncation and random bit flips of real key files parse or throw.
    @Test(arguments: ["p256-private.pem", "p521-private-sec1.pem", "p384-public.pem", "ed25519-private.pem"])
    func keyParsersSurviveHostileVariants(_ name: String) throws {
        let input = try OMSFixtures.bytes(name)
        let isPublic = name.contains("public")
        let outcome = ParserVerifier.verify(input, flips: 300) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if isPublic { _ = try PublicKey(pem: text, source: name) } else { _ = try SigningKey(pem: text, source: name) }
        }
        #expect(outcome.parsed >= 1)
        #expect(outcome.rejected > input.count / 2)
    }

    @Test func errorMessagesNeverContainKeyMaterial() throws {
        let text = try OMSFixtures.text("p256-private.pem")
        let body = text.split(separator: "\n")[1]
        do throws(WardenError) {
            _ = try PublicKey(pem: text, source: "k.pem")
            Issue.record("a private key was accepted as public")
        } catch {
            #expect(!error.description.contains(body))
            #expect(!error.detailedDescription().contains(body))
        }
    }
}
