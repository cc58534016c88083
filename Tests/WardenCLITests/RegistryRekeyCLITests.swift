import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenServer
import WardenTesting

/// `warden registry rekey` as a user runs it: JSON summary, exit codes (0 all moved, 1 some blobs
/// not movable, 2 wrong keyring), a second run with nothing to do, and an audit chain that still
/// verifies.
struct RegistryRekeyCLITests {
    @Test func rotateThenRekeyAStoreAndReportWhatCannotMove() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let data = folder.url("data")
        let keys = folder.url("keys")
        var keyring = try Keyring.create(at: keys)
        // A server's data folder with an encrypted store: the marker and the database come from
        // opening it; three blobs are encrypted files named by their plaintext's digest.
        _ = try await RegistryServer.open(
            configuration: ServerConfiguration().with {
                $0.data = data
                $0.encryption.keyring = keys
            }, adminToken: nil)
        let blobs = BlobStore(root: data + "/blobs")
        var digests: [Digest] = []
        for index in 0..<3 {
            let plain = try folder.write("plain\(index)", Array(repeating: UInt8(index), count: 70_000 * index + 5))
            let digest = try Digest.sha256(ofFile: plain)
            try FileIO.makeDirectory(FileIO.parentDirectory(of: blobs.path(for: digest)))
            _ = try EncryptedFile.encrypt(plain, to: blobs.path(for: digest), keyring: keyring)
            digests.append(digest)
        }
        let newKey = try keyring.rotate()

        let first = try await WardenProcess.run(["registry", "rekey", "--data", data, "--keyring", keys, "--json"], in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.json?["rekeyed"] == 3 && first.json?["complete"] == true && first.json?["current_key"]?.stringValue == newKey)
        for digest in digests { #expect(try EncryptedFile.header(of: blobs.path(for: digest)).keyID == newKey) }

        let again = try await WardenProcess.run(["registry", "rekey", "--data", data, "--keyring", keys, "--reencrypt", "--json"], in: folder)
        #expect(again.status == 0 && again.json?["rekeyed"] == 0 && again.json?["already_current"] == 3 && again.json?["mode"] == "reencrypt")
        let verify = try await WardenProcess.run(["audit", "verify", "--data", data], in: folder)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // A keyring that never held the store's keys: refused before anything moves.
        _ = try Keyring.create(at: folder.url("stranger"))
        let wrong = try await WardenProcess.run(["registry", "rekey", "--data", data, "--keyring", folder.url("stranger")], in: folder)
        #expect(wrong.status == 2 && wrong.stderr.contains("wrong keyring?"))

        // A blob under a key this keyring lacks: named, exit 1; the others are fine.
        try keyring.rotate()
        let other = try Keyring.create(at: folder.url("other"))
        let plain = try folder.write("foreign", "bytes under another keyring")
        let foreign = try Digest.sha256(ofFile: plain)
        try FileIO.makeDirectory(FileIO.parentDirectory(of: blobs.path(for: foreign)))
        _ = try EncryptedFile.encrypt(plain, to: blobs.path(for: foreign), keyring: other)
        let partial = try await WardenProcess.run(["registry", "rekey", "--data", data, "--keyring", keys, "--json"], in: folder)
        #expect(partial.status == 1)
        #expect(partial.json?["rekeyed"] == 3 && partial.json?["complete"] == false)
        let failure = partial.json?["failures"]?.arrayValue?.first
        #expect(failure?["digest"]?.stringValue == foreign.description && failure?["kind"] == "missing_key" && failure?["key"]?.stringValue == other.currentID)
        let text = try await WardenProcess.run(["registry", "rekey", "--data", data, "--keyring", keys, "--quiet"], in: folder)
        #expect(text.status == 1 && text.stderr.contains(foreign.description) && text.stdout.contains("0 of 4 blob(s) re-wrapped"))
    }
}
