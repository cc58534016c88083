import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenData
import WardenTesting

@testable import WardenCLI

/// `warden keys init|rotate|rewrap|list` and `warden data encrypt|decrypt` through argument parsing
/// and exit codes: 0 done, 1 authentication failed, 2 bad usage or input.
struct DataEncryptionCommandTests {
    func run(_ arguments: [String]) async -> Int32 {
        await Warden.runMain(arguments: arguments)
    }

    @Test func encryptRotateRewrapDecrypt() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = folder.url("keyring")
        let data = try folder.write("data/train.csv", "a,b\n" + (0..<5000).map { "\($0),\($0 * 7)" }.joined(separator: "\n"))
        #expect(await run(["keys", "init", "--keyring", keyring, "--json"]) == 0)
        #expect(await run(["keys", "init", "--keyring", keyring]) == 2)
        #expect(await run(["data", "encrypt", data, "--out", folder.url("enc/train.csv.wenc"), "--keyring", keyring, "--quiet"]) == 0)
        try folder.write("enc/notes.txt", "not encrypted")
        #expect(await run(["keys", "rotate", "--keyring", keyring, "--rewrap", folder.url("enc"), "--json"]) == 0)
        #expect(await run(["keys", "rewrap", "--keyring", keyring, folder.url("enc/train.csv.wenc")]) == 0)
        #expect(await run(["keys", "list", "--keyring", keyring, "--json"]) == 0)
        #expect(await run(["data", "decrypt", folder.url("enc/train.csv.wenc"), "--out", folder.url("back.csv"), "--keyring", keyring, "--quiet"]) == 0)
        #expect(try FileIO.readAll(folder.url("back.csv")) == FileIO.readAll(data))
        #expect(try String(contentsOfFile: folder.url("enc/notes.txt"), encoding: .utf8) == "not encrypted")
    }

    @Test func insideADataRepositoryEveryAccessIsAuditedWithThePlaintextDigest() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repository = try DataRepository.open(containing: folder.path, create: true, createAt: folder.path)
        let keyring = folder.url("keyring")
        let data = try folder.write("train.csv", "a,b\n" + (0..<3000).map { "\($0),\($0 % 7)" }.joined(separator: "\n"))
        let digest = try Digest.sha256(ofFile: data)
        #expect(await run(["keys", "init", "--keyring", keyring]) == 0)
        #expect(await run(["data", "encrypt", data, "--out", folder.url("train.csv.wenc"), "--keyring", keyring, "--quiet", "--json"]) == 0)
        #expect(await run(["data", "decrypt", folder.url("train.csv.wenc"), "--out", folder.url("back.csv"), "--keyring", keyring, "--quiet"]) == 0)
        var bytes = try FileIO.readAll(folder.url("train.csv.wenc"))
        bytes[bytes.count - 20] ^= 1
        let tampered = try folder.write("t.wenc", bytes)
        #expect(await run(["data", "decrypt", tampered, "--out", folder.url("never.csv"), "--keyring", keyring, "--quiet"]) == 1)
        let events = try repository.audit.events()
        #expect(events.map(\.action) == ["data.encrypt", "data.decrypt", "data.decrypt.failed"])
        #expect(events[0].subject == "train.csv@\(digest)")
        #expect(events[1].subject == "train.csv.wenc@\(digest)")
        #expect(events[2].subject == "t.wenc")
        #expect(try repository.audit.verify() == nil)
        #expect(events.allSatisfy { !$0.line.contains("0,0") })
    }

    @Test func theKeyringComesFromWARDEN_KEYRINGWhenNoOptionIsGiven() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let mounted = folder.url("run/secrets/keyring")
        let data = try folder.write("d.csv", "x\n1\n")
        let env = ["WARDEN_KEYRING": mounted]
        #expect(try await WardenProcess.run(["keys", "init"], in: folder, environment: env).status == 0)
        #expect(FileIO.kind(of: mounted + "/keyring.json") == .regular)
        let sealed = try await WardenProcess.run(["data", "encrypt", data, "--out", folder.url("d.wenc"), "--quiet", "--json"], in: folder, environment: env)
        #expect(sealed.status == 0)
        #expect(sealed.json?["key_id"]?.stringValue == (try Keyring.open(mounted)).currentID)
        #expect(try await WardenProcess.run(["data", "decrypt", folder.url("d.wenc"), "--out", folder.url("back.csv"), "--quiet"], in: folder, environment: env).status == 0)
        #expect(try FileIO.readAll(folder.url("back.csv")) == FileIO.readAll(data))
        // --keyring wins over the variable; with neither, one line says what to do.
        #expect(try await WardenProcess.run(["data", "decrypt", folder.url("d.wenc"), "--out", folder.url("o"), "--keyring", folder.url("none")], in: folder, environment: env).status == 2)
        let none = try await WardenProcess.run(["data", "decrypt", folder.url("d.wenc"), "--out", folder.url("o")], in: folder, environment: ["WARDEN_KEYRING": ""])
        #expect(none.status == 2)
        #expect(none.errorLines.contains { $0.contains("WARDEN_KEYRING") })
    }

    @Test func tamperedInputExitsOneAndWritesNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = folder.url("keyring")
        let data = try folder.write("d.bin", [UInt8](repeating: 7, count: 200_000))
        #expect(await run(["keys", "init", "--keyring", keyring]) == 0)
        #expect(await run(["data", "encrypt", data, "--out", folder.url("d.wenc"), "--keyring", keyring, "--quiet"]) == 0)
        var bytes = try FileIO.readAll(folder.url("d.wenc"))
        bytes[150_000] ^= 0x80
        let tampered = try folder.write("t.wenc", bytes)
        #expect(await run(["data", "decrypt", tampered, "--out", folder.url("out.bin"), "--keyring", keyring, "--quiet"]) == 1)
        #expect(FileIO.kind(of: folder.url("out.bin")) == .missing)
        let truncated = try folder.write("cut.wenc", Array(bytes[0..<70_000]))
        #expect(await run(["data", "decrypt", truncated, "--out", folder.url("out.bin"), "--keyring", keyring, "--quiet"]) == 1)
        #expect(FileIO.kind(of: folder.url("out.bin")) == .missing)
    }

    @Test func badUsageExitsTwo() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = folder.url("keyring")
        let data = try folder.write("d.txt", "hello")
        // No keyring yet, a plain file to decrypt, a missing input, a key the keyring lacks.
        #expect(await run(["data", "encrypt", data, "--out", folder.url("d.wenc"), "--keyring", keyring]) == 2)
        #expect(await run(["keys", "init", "--keyring", keyring]) == 0)
        #expect(await run(["data", "decrypt", data, "--out", folder.url("o"), "--keyring", keyring]) == 2)
        #expect(await run(["data", "encrypt", folder.url("missing"), "--out", folder.url("o"), "--keyring", keyring]) == 2)
        #expect(await run(["keys", "init", "--keyring", folder.url("other")]) == 0)
        #expect(await run(["data", "encrypt", data, "--out", folder.url("d.wenc"), "--keyring", folder.url("other"), "--quiet"]) == 0)
        #expect(await run(["data", "decrypt", folder.url("d.wenc"), "--out", folder.url("o"), "--keyring", keyring]) == 2)
        #expect(await run(["keys", "rewrap", "--keyring", keyring, folder.url("nowhere")]) == 2)
        #expect(FileIO.kind(of: folder.url("o")) == .missing)
    }
}
