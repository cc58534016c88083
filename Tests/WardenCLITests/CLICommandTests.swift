import ArgumentParser
import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenTesting

@testable import WardenCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `warden keys` and `warden model sign|verify` through the real argument parsing and exit codes:
/// 0 ok, 1 a check failed, 2 bad input.
struct CLICommandTests {
    static var fixtures: String {
        // The Crypto tests' model-signing fixtures, read from the source tree.
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.deletingLastPathComponent().path + "/WardenCryptoTests/Fixtures/oms-1.1.1"
    }

    static func mode(of path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }

    // MARK: keys generate

    @Test(arguments: KeyType.allCases)
    func keysGenerateWritesAPrivateKeyOnlyTheOwnerCanRead(_ type: KeyType) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let out = folder.url("keys/\(type.rawValue)")
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--type", type.rawValue, "--out", out]) == 0)
        #expect(Self.mode(of: out + "/private.pem") == 0o600)
        #expect(Self.mode(of: out + "/public.pem") == 0o644)
        let key = try SigningKey(file: out + "/private.pem")
        let publicKey = try PublicKey(file: out + "/public.pem")
        #expect(key.type == type)
        #expect(publicKey.spkiDER == key.publicKey.spkiDER)

        // No silent overwrite; --force replaces both files.
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--type", type.rawValue, "--out", out]) == 2)
        #expect(try SigningKey(file: out + "/private.pem").publicKey.spkiDER == key.publicKey.spkiDER)
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--type", type.rawValue, "--out", out, "--force"]) == 0)
        #expect(try SigningKey(file: out + "/private.pem").publicKey.spkiDER != key.publicKey.spkiDER)
        #expect(Self.mode(of: out + "/private.pem") == 0o600)
    }

    @Test func keysGenerateDefaultsToP256AndRejectsUnknownTypes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--out", folder.url("k")]) == 0)
        #expect(try SigningKey(file: folder.url("k/private.pem")).type == .p256)
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--type", "rsa", "--out", folder.url("r")]) == 2)
        #expect(FileIO.kind(of: folder.url("r")) == .missing)
        #expect(await Warden.runMain(arguments: ["keys", "generate"]) == 2)
        _ = try folder.write("file", "x")
        #expect(await Warden.runMain(arguments: ["keys", "generate", "--out", folder.url("file/sub")]) == 2)
    }

    // MARK: sign and verify

    struct Keys {
        var privateKey: String
        var publicKey: String
    }

    static func generateKeys(_ type: KeyType = .p256, in folder: TemporaryDirectory, name: String = "keys") async throws -> Keys {
        let out = folder.url(name)
        let code = await Warden.runMain(arguments: ["keys", "generate", "--type", type.rawValue, "--out", out, "--quiet"])
        try #require(code == 0)
        return Keys(privateKey: out + "/private.pem", publicKey: out + "/public.pem")
    }

    @Test(arguments: [KeyType.p256, .p384, .p521])
    func signThenVerify(_ type: KeyType) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(type, in: folder)
        let model = try ModelFixture.write(into: folder)
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey, "--quiet"]) == 0)
        // Default signature: PATH.sig beside the model, as one line of JSON.
        let signature = model + ".sig"
        let bundle = try SigstoreBundle(parsing: try FileIO.readAll(signature), source: signature)
        #expect(bundle.publicKeyHint == (try PublicKey(file: keys.publicKey)).omsHint)
        #expect(!(try FileIO.readAll(signature)).contains(UInt8(ascii: "\n")))
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey, "--signature", signature]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model + "/", "--key", keys.publicKey]) == 0)
    }

    @Test func signOptionsAreRecordedAndVerified() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(in: folder)
        let model = try ModelFixture.write(into: folder)
        let cases: [[String]] = [
            ["--hash", "blake2b"], ["--hash", "blake3"], ["--shard-size", "1000"], ["--shard-size", "1000", "--hash", "blake3"],
            ["--ignore-paths", model + "/README.md", "weights/layer1.bin"], ["--ignore-paths", model + "/config.json"],
            ["--no-ignore-git-paths"], ["--allow-symlinks"],
        ]
        for (n, options) in cases.enumerated() {
            let signature = folder.url("sig-\(n).sig")
            let code = await Warden.runMain(
                arguments: ["model", "sign", model, "--key", keys.privateKey, "--signature", signature, "--quiet"] + options)
            #expect(code == 0, "\(options)")
            #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey, "--signature", signature]) == 0, "\(options)")
        }
        // What was ignored may change; what was signed may not.
        func verify(_ n: Int) async -> Int32 {
            await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey, "--signature", folder.url("sig-\(n).sig")])
        }
        _ = try folder.write("model/.gitignore", "changed")
        #expect(await verify(0) == 0)
        #expect(await verify(6) == 1)
        _ = try folder.write("model/README.md", "changed")
        #expect(await verify(4) == 0)
        #expect(await verify(0) == 1)
    }

    @Test func aSignatureInsideTheModelFolderLeavesItselfOut() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(in: folder)
        let model = try ModelFixture.write(into: folder)
        let signature = model + "/model.sig"
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey, "--signature", signature]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey, "--signature", signature]) == 0)
        // Re-signing over an existing signature inside the folder also works.
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey, "--signature", signature]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey, "--signature", signature]) == 0)
    }

    @Test func singleFileModel() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(in: folder)
        let model = try folder.write("m/model.onnx", [1, 2, 3, 4])
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey]) == 0)
        #expect(FileIO.kind(of: model + ".sig") == .regular)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 0)
        _ = try folder.write("m/model.onnx", [1, 2, 3, 5])
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 1)
    }

    /// model-signing's own signatures verify through the CLI too.
    @Test func fixtureSignaturesVerifyThroughTheCLI() async throws {
        for (signature, key) in [("model-p256.sig", "p256"), ("model-p384.sig", "p384"), ("model-p256-shards4.sig", "p256")] {
            let arguments = [
                "model", "verify", Self.fixtures + "/model", "--key", Self.fixtures + "/\(key)-public.pem", "--signature",
                Self.fixtures + "/" + signature,
            ]
            #expect(await Warden.runMain(arguments: arguments) == 0, "\(signature)")
        }
        let wrongKey = [
            "model", "verify", Self.fixtures + "/model", "--key", Self.fixtures + "/p384-public.pem", "--signature",
            Self.fixtures + "/model-p256.sig",
        ]
        #expect(await Warden.runMain(arguments: wrongKey) == 1)
    }

    @Test func tamperingExitsOneAndTheReportNamesTheFile() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(in: folder)
        let model = try ModelFixture.write(into: folder)
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey]) == 0)
        var bytes = try FileIO.readAll(model + "/weights/layer0.bin")
        bytes[12_345] ^= 0x80
        _ = try folder.write("model/weights/layer0.bin", bytes)
        _ = try folder.write("model/added.txt", "new")
        try FileIO.removeFile(model + "/README.md")
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 1)

        let text = try await WardenProcess.run(["model", "verify", model, "--key", keys.publicKey], in: folder)
        #expect(text.status == 1)
        #expect(text.stdout.contains("NOT VERIFIED"))
        #expect(text.stdout.contains("'weights/layer0.bin' expected sha256:\(Hex.encode(HashAlgorithm.sha256.hash(ModelFixture.files()[1].1)))"))
        #expect(text.stdout.contains("actual sha256:\(Digest.sha256(bytes).hex)"))
        #expect(text.stdout.contains("Extra files in the model (not signed): added.txt"))
        #expect(text.stdout.contains("Missing files (signed but absent): README.md"))

        let json = try await WardenProcess.run(["model", "verify", model, "--key", keys.publicKey, "--json"], in: folder)
        #expect(json.status == 1)
        let report = try #require(json.json, "stdout is not JSON: \(json.stdout)")
        #expect(report["verified"] == false)
        #expect(report["failures"]?.arrayValue?.count == 3)
        #expect(json.stdout.contains("weights/layer0.bin"))
    }

    @Test func aWrongKeyExitsOne() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(in: folder)
        let other = try await Self.generateKeys(in: folder, name: "other")
        let model = try ModelFixture.write(into: folder)
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", other.publicKey]) == 1)
        let result = try await WardenProcess.run(["model", "verify", model, "--key", other.publicKey], in: folder)
        #expect(result.status == 1)
        #expect(result.stdout.contains("Key mismatch"))
    }

    // MARK: --json

    @Test func jsonOutputsParse() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await WardenProcess.run(["keys", "generate", "--type", "p384", "--out", "k", "--json"], in: folder)
        #expect(keys.status == 0)
        let keyJSON = try #require(keys.json, "stdout is not JSON: \(keys.stdout)")
        #expect(keyJSON["type"] == "p384")
        #expect(keyJSON["oms_compatible"] == true)
        #expect(keyJSON["key_id"]?.stringValue == (try PublicKey(file: folder.url("k/public.pem"))).keyID)

        let model = try ModelFixture.write(into: folder)
        let sign = try await WardenProcess.run(["model", "sign", model, "--key", "k/private.pem", "--json"], in: folder)
        #expect(sign.status == 0)
        let signJSON = try #require(sign.json, "stdout is not JSON: \(sign.stdout)")
        #expect(signJSON["signed"] == true)
        #expect(signJSON["resources"] == 6)
        #expect(signJSON["serialization"] == "sha256")
        #expect(signJSON["key_type"] == "p384")
        let root = try ModelHasher(serialization: ModelSerialization()).manifest(for: model).rootDigest
        #expect(signJSON["root_digest"]?.stringValue == root.description)

        let verify = try await WardenProcess.run(["model", "verify", model, "--key", "k/public.pem", "--json"], in: folder)
        #expect(verify.status == 0)
        let verifyJSON = try #require(verify.json, "stdout is not JSON: \(verify.stdout)")
        #expect(verifyJSON["verified"] == true)
        #expect(verifyJSON["rootDigest"]?.stringValue == root.description)
        #expect(verifyJSON["failures"] == [])
        // Nothing but the JSON on stdout; no progress bar on stderr when it is not a terminal.
        #expect(verify.stderr.isEmpty)
    }

    // MARK: bad input

    struct BadInput: Sendable, CustomTestStringConvertible {
        var id: String
        /// Arguments with `$D` for the test folder; `$D/keys` holds a p256 key pair, `$D/model` a model
        /// signed to `$D/model.sig`.
        var arguments: [String]
        /// What the one line on stderr must contain.
        var mentions: [String]
        var testDescription: String { id }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            id: "sign: missing key", arguments: ["model", "sign", "$D/model", "--key", "$D/nokey.pem", "--signature", "$D/out.sig"],
            mentions: ["$D/nokey.pem"]),
        BadInput(
            id: "sign: garbage key", arguments: ["model", "sign", "$D/model", "--key", "$D/garbage.pem", "--signature", "$D/out.sig"],
            mentions: ["$D/garbage.pem", "not a PEM"]),
        BadInput(
            id: "sign: encrypted key",
            arguments: ["model", "sign", "$D/model", "--key", "$F/p256-encrypted.pem", "--signature", "$D/out.sig"],
            mentions: ["encrypted"]),
        BadInput(
            id: "sign: RSA key", arguments: ["model", "sign", "$D/model", "--key", "$F/rsa-private.pem", "--signature", "$D/out.sig"],
            mentions: ["RSA"]),
        BadInput(
            id: "sign: secp256k1 key",
            arguments: ["model", "sign", "$D/model", "--key", "$F/secp256k1-private.pem", "--signature", "$D/out.sig"],
            mentions: ["secp256k1"]),
        BadInput(
            id: "sign: public key given", arguments: ["model", "sign", "$D/model", "--key", "$D/keys/public.pem", "--signature", "$D/out.sig"],
            mentions: ["public key"]),
        BadInput(
            id: "sign: key is a FIFO", arguments: ["model", "sign", "$D/model", "--key", "$D/fifo", "--signature", "$D/out.sig"],
            mentions: ["$D/fifo", "not a regular file"]),
        BadInput(
            id: "sign: missing model",
            arguments: ["model", "sign", "$D/nomodel", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig"],
            mentions: ["$D/nomodel", "does not exist"]),
        BadInput(
            id: "sign: symlink in model",
            arguments: ["model", "sign", "$D/linked", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig"],
            mentions: ["symlink", "--allow-symlinks"]),
        BadInput(
            id: "sign: symlink loop",
            arguments: ["model", "sign", "$D/loop", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig", "--allow-symlinks"],
            mentions: ["loop"]),
        BadInput(
            id: "sign: special file in model",
            arguments: ["model", "sign", "$D/special", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig"],
            mentions: ["special file"]),
        BadInput(
            id: "sign: shard size 0",
            arguments: ["model", "sign", "$D/model", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig", "--shard-size", "0"],
            mentions: ["--shard-size"]),
        BadInput(
            id: "sign: unknown hash",
            arguments: ["model", "sign", "$D/model", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig", "--hash", "md5"],
            mentions: ["md5"]),
        BadInput(
            id: "sign: ignore path outside the model",
            arguments: ["model", "sign", "$D/model", "--key", "$D/keys/private.pem", "--signature", "$D/out.sig", "--ignore-paths", "/etc"],
            mentions: ["'/etc'"]),
        BadInput(
            id: "sign: ed25519 without opt-in",
            arguments: ["model", "sign", "$D/model", "--key", "$F/ed25519-private.pem", "--signature", "$D/out.sig"],
            mentions: ["Ed25519", "--allow-ed25519", "model-signing"]),
        BadInput(id: "sign: no key option", arguments: ["model", "sign", "$D/model"], mentions: ["--key"]),
        BadInput(
            id: "verify: missing key", arguments: ["model", "verify", "$D/model", "--key", "$D/nokey.pem"],
            mentions: ["$D/nokey.pem"]),
        BadInput(
            id: "verify: garbage key", arguments: ["model", "verify", "$D/model", "--key", "$D/garbage.pem"],
            mentions: ["$D/garbage.pem"]),
        BadInput(
            id: "verify: private key given", arguments: ["model", "verify", "$D/model", "--key", "$D/keys/private.pem"],
            mentions: ["private key"]),
        BadInput(
            id: "verify: missing signature",
            arguments: ["model", "verify", "$D/model", "--key", "$D/keys/public.pem", "--signature", "$D/none.sig"],
            mentions: ["$D/none.sig"]),
        BadInput(
            id: "verify: signature is not JSON",
            arguments: ["model", "verify", "$D/model", "--key", "$D/keys/public.pem", "--signature", "$D/garbage.pem"],
            mentions: ["not valid JSON"]),
        BadInput(
            id: "verify: signature with corrupt base64",
            arguments: ["model", "verify", "$D/model", "--key", "$D/keys/public.pem", "--signature", "$D/badbase64.sig"],
            mentions: ["base64"]),
        BadInput(
            id: "verify: signature is a folder",
            arguments: ["model", "verify", "$D/model", "--key", "$D/keys/public.pem", "--signature", "$D/keys"],
            mentions: ["not a regular file"]),
        BadInput(
            id: "verify: missing model",
            arguments: ["model", "verify", "$D/nomodel", "--key", "$D/keys/public.pem", "--signature", "$D/model.sig"],
            mentions: ["$D/nomodel"]),
        BadInput(
            id: "verify: symlink appeared",
            arguments: ["model", "verify", "$D/linked", "--key", "$D/keys/public.pem", "--signature", "$D/model.sig"],
            mentions: ["symlink"]),
        BadInput(id: "unknown subcommand", arguments: ["model", "bless", "$D/model"], mentions: ["bless"]),
        BadInput(
            id: "unknown option", arguments: ["model", "verify", "$D/model", "--key", "$D/keys/public.pem", "--kee", "x"],
            mentions: ["--kee"]),
        BadInput(
            id: "sign: key is a secp256k1 SEC1 file",
            arguments: ["model", "sign", "$D/model", "--key", "$D/k1.pem", "--signature", "$D/out.sig"], mentions: ["secp256k1"]),
    ]

    /// Builds the folder the bad-input cases refer to.
    static func badInputFolder() async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        _ = try await generateKeys(in: folder)
        let model = try ModelFixture.write(into: folder)
        try #require(await Warden.runMain(arguments: ["model", "sign", model, "--key", folder.url("keys/private.pem"), "--quiet"]) == 0)
        _ = try folder.write("garbage.pem", "this is not a key\n")
        _ = try folder.write("k1.pem", KeyFiles.secp256k1SEC1)
        _ = try folder.write("badbase64.sig", #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"@@@","payloadType":"t","signatures":[{"sig":"AA=="}]}}"#)
        #expect(mkfifo(folder.url("fifo"), 0o600) == 0)
        _ = try folder.write("linked/a.bin", [1])
        #expect(symlink(folder.url("linked/a.bin"), folder.url("linked/b.bin")) == 0)
        _ = try folder.write("loop/a.bin", [1])
        #expect(symlink("..", folder.url("loop/up")) == 0)
        _ = try folder.write("special/a.bin", [1])
        #expect(mkfifo(folder.url("special/pipe"), 0o600) == 0)
        return folder
    }

    static func substitute(_ text: String, _ folder: TemporaryDirectory) -> String {
        text.replacingOccurrences(of: "$D", with: folder.path).replacingOccurrences(of: "$F", with: fixtures)
    }

    @Test(arguments: badInputs)
    func badInputExitsTwoWithOneClearLine(_ c: BadInput) async throws {
        let folder = try await Self.badInputFolder()
        defer { folder.remove() }
        let arguments = c.arguments.map { Self.substitute($0, folder) }
        #expect(await Warden.runMain(arguments: arguments) == 2)

        let result = try await WardenProcess.run(arguments, in: folder)
        #expect(result.status == 2)
        let lines = result.errorLines
        // ArgumentParser adds a usage hint after its own one-line message.
        let message = String(lines.first ?? "")
        #expect(lines.count == 1 || lines.dropFirst().allSatisfy { $0.isEmpty || $0.hasPrefix("Usage:") || $0.hasPrefix("  See '") || $0.hasPrefix("Help:") || $0.hasPrefix("  ") })
        for word in c.mentions { #expect(message.contains(Self.substitute(word, folder)), "\(message)") }
        #expect(!result.stderr.contains("Fatal error"))
        #expect(result.stdout.isEmpty)
        // No signature is left behind, not even a partial one.
        #expect(FileIO.kind(of: folder.url("out.sig")) == .missing)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// Warden's own errors are exactly one line "error: <Code>: <message>".
    @Test func wardenErrorsAreOneLine() async throws {
        let folder = try await Self.badInputFolder()
        defer { folder.remove() }
        let result = try await WardenProcess.run(
            ["model", "sign", folder.url("model"), "--key", folder.url("garbage.pem"), "--signature", folder.url("out.sig")], in: folder)
        #expect(result.status == 2)
        #expect(result.errorLines.count == 1)
        #expect(result.stderr.hasPrefix("error: Invalid input: '\(folder.url("garbage.pem"))' is not a PEM file"))
    }

    // MARK: Ed25519 is opt-in for OMS signatures

    @Test func ed25519SigningNeedsTheOptIn() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try await Self.generateKeys(.ed25519, in: folder)
        let model = try ModelFixture.write(into: folder)
        let signature = folder.url("model.sig")
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey]) == 2)
        #expect(FileIO.kind(of: signature) == .missing)
        #expect(await Warden.runMain(arguments: ["model", "sign", model, "--key", keys.privateKey, "--allow-ed25519"]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 0)
        _ = try folder.write("model/config.json", "{}")
        #expect(await Warden.runMain(arguments: ["model", "verify", model, "--key", keys.publicKey]) == 1)
    }

    // MARK: help

    static func allCommands(_ root: any ParsableCommand.Type = Warden.self) -> [any ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { allCommands($0) }
    }

    @Test func everyCommandsHelpHasAnExample() {
        let commands = Self.allCommands()
        #expect(commands.count > 10)
        for command in commands {
            let isGroup = !command.configuration.subcommands.isEmpty
            let name = command.configuration.commandName ?? "\(command)"
            // Every leaf, the root and the groups of this area show an example.
            let owned: [any ParsableCommand.Type] = [Warden.self, KeysCommand.self, ModelCommand.self]
            guard !isGroup || owned.contains(where: { ObjectIdentifier($0) == ObjectIdentifier(command) }) else { continue }
            let help = Warden.helpMessage(for: command)
            #expect(help.contains("Example"), "'\(name)' --help has no example")
        }
    }

    @Test(arguments: [["--help"], ["keys", "--help"], ["keys", "generate", "--help"], ["model", "sign", "--help"], ["model", "verify", "--help"], ["demo", "--help"], ["help", "model", "sign"]])
    func helpExitsZero(_ arguments: [String]) async {
        #expect(await Warden.runMain(arguments: arguments) == 0)
    }

    @Test func helpTextThroughTheExecutable() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for arguments in [["model", "sign", "--help"], ["model", "verify", "--help"], ["keys", "generate", "--help"], ["demo", "--help"]] {
            let result = try await WardenProcess.run(arguments, in: folder)
            #expect(result.status == 0)
            #expect(result.stdout.contains("Example"), "\(arguments)")
        }
        let verify = try await WardenProcess.run(["model", "verify", "--help"], in: folder)
        #expect(verify.stdout.contains("Exit 0"))
    }
}

enum KeyFiles {
    /// A throwaway secp256k1 key (SEC1), written by Python's cryptography.
    static let secp256k1SEC1 = """
        -----BEGIN EC PRIVATE KEY-----
        MHQCAQEEIA0DxX4dlUYooAXJnvGLM4b3qgR+FLo91asCGP2Mrf8RoAcGBSuBBAAK
        oUQDQgAEc3EfhKpHUDI9bmOJsLWkYfjtYuhvtV0Z8dbNiR0J39Xi/z96Bq81Wvyo
        wrUQ97ri3EhAuf9/ZXqroLepnSckag==
        -----END EC PRIVATE KEY-----

        """
}
