import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenRegistrySQLite
import WardenTesting

@testable import WardenServer

/// `warden registry rekey`: every blob of an encrypted store moves to the keyring's current key
/// (re-wrapped or re-encrypted), atomically, audited, resumable after a crash, and a wrong or
/// missing key is reported per blob.
struct BlobRekeyTests {
    struct Harness {
        let folder: TemporaryDirectory
        var data: String { folder.url("data") }
        var keys: String { folder.url("keys") }

        /// An encrypted store (keyring at `keys`) holding `count` seeded blobs; returns them.
        func fill(count: Int, sizes: [Int] = [0, 1, 65_536, 200_001]) throws -> [(Digest, [UInt8])] {
            let store = try ArtefactStore.open(root: data + "/blobs", keyring: try Keyring.open(keys))
            var rng = SeededGenerator(seed: 7)
            return try (0..<count).map { index in
                let bytes = (0..<sizes[index % sizes.count] + index).map { _ in UInt8.random(in: 0...255, using: &rng) }
                return (try store.put(bytes: bytes), bytes)
            }
        }

        func store() throws -> SQLiteRegistryStore { try SQLiteRegistryStore(path: data + "/registry.sqlite") }

        func rekey(_ keyring: Keyring? = nil) throws -> BlobRekey {
            BlobRekey(data: data, keyring: try keyring ?? Keyring.open(keys), store: try store(), actor: "tester", clock: .fixed(Date(timeIntervalSince1970: 1_800_000_000)))
        }

        func keyID(_ digest: Digest) throws -> String { try EncryptedFile.header(of: BlobStore(root: data + "/blobs").path(for: digest)).keyID }

        func actions() async throws -> [String] { try await store().auditEvents(from: 1, limit: 10_000).map(\.action) }
    }

    func harness() throws -> Harness {
        let h = Harness(folder: try TemporaryDirectory())
        _ = try Keyring.create(at: h.keys)
        return h
    }

    /// Each blob reads back as its plaintext through a store opened with `keyring`.
    func expectReadable(_ h: Harness, _ blobs: [(Digest, [UInt8])], keyring: Keyring) throws {
        let store = try ArtefactStore.open(root: h.data + "/blobs", keyring: keyring)
        for (digest, bytes) in blobs { #expect(try store.read(digest, limit: 1 << 20) == bytes) }
    }

    @Test(arguments: BlobRekey.Mode.allCases)
    func movesEveryBlobToTheCurrentKeyAndTheOldKeyCanThenLeave(mode: BlobRekey.Mode) async throws {
        let h = try harness()
        defer { h.folder.remove() }
        let blobs = try h.fill(count: 6)
        var keyring = try Keyring.open(h.keys)
        let old = keyring.currentID
        let paths = blobs.map { BlobStore(root: h.data + "/blobs").path(for: $0.0) }
        let before = try paths.map { try EncryptedFile.header(of: $0) }
        let newKey = try keyring.rotate()
        let progress = RekeyProgress()
        let summary = try await h.rekey(keyring).run(mode: mode) { done, total in progress.add(done, total) }
        #expect(summary.blobs == 6 && summary.rekeyed == 6 && summary.alreadyCurrent == 0 && summary.failures.isEmpty && summary.complete)
        #expect(progress.last?.0 == 6 && progress.last?.1 == 6)
        for (digest, _) in blobs { #expect(try h.keyID(digest) == newKey) }
        let after = try paths.map { try EncryptedFile.header(of: $0) }
        for (was, now) in zip(before, after) {
            // Re-wrapping keeps the payload (same salt); re-encryption draws a fresh data key and salt.
            #expect((was.salt == now.salt) == (mode == .rewrap))
            #expect(was.bytes != now.bytes)
        }
        for path in paths { #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue == 0o444) }
        try expectReadable(h, blobs, keyring: keyring)
        // The marker names the new key: a keyring without the old key now opens the store.
        let marker = try JSONParser().parse(try FileIO.readAll(h.data + "/blobs/encryption.json", limit: 1 << 16))
        #expect(marker["first_key"]?.stringValue == newKey)
        var json = try JSONParser().parse(try FileIO.readAll(h.keys + "/keyring.json", limit: 1 << 16))
        json = ["format": json["format"]!, "current": .string(newKey), "keys": .array(json["keys"]!.arrayValue!.filter { $0["id"]?.stringValue != old })]
        try FileIO.writeAtomically(json.prettyString(), to: h.keys + "/keyring.json", mode: 0o600)
        try expectReadable(h, blobs, keyring: try Keyring.open(h.keys))
        // Audited, and the chain still verifies.
        let events = try await h.store().auditEvents(from: 1, limit: 1000)
        #expect(events.filter { $0.action == "artefact.rekey.begin" }.count == 6)
        #expect(events.filter { $0.action == "artefact.rekey" }.count == 6)
        #expect(events.last?.action == "registry.rekey" && events.last?.details["complete"] == true)
        #expect(AuditChain().verify(events) == nil)
        // A second run has nothing to do.
        let again = try await h.rekey().run(mode: mode)
        #expect(again.rekeyed == 0 && again.alreadyCurrent == 6 && again.complete)
    }

    @Test func aCrashAfterARenameIsCompletedAndTheRestRedoneOnTheNextRun() async throws {
        let h = try harness()
        defer { h.folder.remove() }
        let blobs = try h.fill(count: 5)
        var keyring = try Keyring.open(h.keys)
        let newKey = try keyring.rotate()
        // The third blob's rename happens, then the process "dies" before its done record.
        var crashing = try h.rekey(keyring)
        let renamed = RekeyProgress()
        crashing.afterRename = { _ in
            renamed.add(1, 0)
            if renamed.count == 3 { throw CancellationError() }
        }
        await #expect(throws: CancellationError.self) { _ = try await crashing.run(mode: .rewrap) }
        // A temp file a crash mid-write would leave beside a blob.
        let stray = FileIO.parentDirectory(of: BlobStore(root: h.data + "/blobs").path(for: blobs[4].0)) + "/.leftover.tmp-ABC123"
        try FileIO.writeAtomically("half a blob", to: stray)
        let marker = try JSONParser().parse(try FileIO.readAll(h.data + "/blobs/encryption.json", limit: 1 << 16))
        #expect(marker["first_key"]?.stringValue != newKey, "an interrupted run leaves the marker on the first key")

        let summary = try await h.rekey(keyring).run(mode: .rewrap)
        #expect(summary.rekeyed == 2 && summary.resumed == 1 && summary.alreadyCurrent == 2 && summary.removedTempFiles == 1 && summary.complete)
        #expect(FileIO.kind(of: stray) == .missing)
        for (digest, _) in blobs { #expect(try h.keyID(digest) == newKey) }
        try expectReadable(h, blobs, keyring: keyring)
        let events = try await h.store().auditEvents(from: 1, limit: 1000)
        #expect(events.filter { $0.action == "artefact.rekey.begin" }.count == 5)
        let done = events.filter { $0.action == "artefact.rekey" }
        #expect(done.count == 5, "every moved blob has exactly one completion record, the crashed one included")
        #expect(done.filter { $0.details["resumed"] == true }.count == 1)
        #expect(Set(done.map(\.subject)).count == 5)
        #expect(AuditChain().verify(events) == nil)
    }

    @Test func aBlobWhoseKeyIsMissingOrDifferentIsNamedAndTheOthersStillMove() async throws {
        let h = try harness()
        defer { h.folder.remove() }
        let blobs = try h.fill(count: 3)
        var keyring = try Keyring.open(h.keys)
        let first = keyring.currentID
        try keyring.rotate()
        let blobRoot = BlobStore(root: h.data + "/blobs")
        // Blob 0: encrypted under a key id the keyring does not hold (from another keyring).
        let other = try Keyring.create(at: h.folder.url("other"))
        let foreign = h.folder.url("foreign")
        try FileIO.writeAtomically(blobs[0].1, to: foreign + ".plain")
        _ = try EncryptedFile.encrypt(foreign + ".plain", to: foreign, keyring: other)
        try FileIO.removeFile(blobRoot.path(for: blobs[0].0))
        try FileManager.default.copyItem(atPath: foreign, toPath: blobRoot.path(for: blobs[0].0))
        // Blob 1: its wrap altered (as with a keyring holding a different key under that id).
        let path1 = blobRoot.path(for: blobs[1].0)
        var bytes = try FileIO.readAll(path1, limit: 1 << 20)
        let headerSize = 28 + 1 + first.utf8.count + 12
        bytes[headerSize] ^= 0x01
        try FileIO.removeFile(path1)
        try FileIO.writeAtomically(bytes, to: path1, mode: 0o444)

        let summary = try await h.rekey(keyring).run(mode: .rewrap)
        #expect(summary.rekeyed == 1 && !summary.complete)
        let kinds = Dictionary(uniqueKeysWithValues: summary.failures.map { ($0.digest, $0.kind) })
        #expect(kinds == [blobs[0].0.description: .missingKey, blobs[1].0.description: .authentication])
        #expect(summary.failures.allSatisfy { $0.message.contains($0.digest) })
        #expect(summary.failures.first { $0.kind == .missingKey }?.message.contains(other.currentID) == true)
        #expect(try h.keyID(blobs[2].0) == keyring.currentID)
        let marker = try JSONParser().parse(try FileIO.readAll(h.data + "/blobs/encryption.json", limit: 1 << 16))
        #expect(marker["first_key"]?.stringValue == first, "not every blob moved: the old key is still needed")
        #expect(try await h.actions().last == "registry.rekey")
    }

    @Test func aWrongKeyringOrAPlainStoreIsRefusedBeforeAnythingMoves() async throws {
        let h = try harness()
        defer { h.folder.remove() }
        _ = try h.fill(count: 2)
        let stranger = try Keyring.create(at: h.folder.url("stranger"))
        await #expect { _ = try await h.rekey(stranger).run(mode: .rewrap) } throws: { error in
            "\(error)".contains("does not have it (wrong keyring?)")
        }
        #expect(try await h.actions().isEmpty, "nothing was recorded")

        let plain = Harness(folder: try TemporaryDirectory())
        defer { plain.folder.remove() }
        _ = try Keyring.create(at: plain.keys)
        _ = try BlobStore(root: plain.data + "/blobs").put(bytes: Array("plain".utf8))
        await #expect { _ = try await plain.rekey().run(mode: .rewrap) } throws: { error in
            "\(error)".contains("is not encrypted")
        }
    }

    @Test func oneRekeyAtATime() async throws {
        let h = try harness()
        defer { h.folder.remove() }
        _ = try h.fill(count: 1)
        let held = try BlobRekey.lock(h.data + "/blobs")
        defer { close(held) }
        await #expect { _ = try await h.rekey().run(mode: .rewrap) } throws: { error in
            "\(error)".contains("Another `warden registry rekey` is running")
        }
    }
}

/// Counts calls from a `@Sendable` callback.
final class RekeyProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var latest: (Int, Int)?

    func add(_ done: Int, _ total: Int) {
        lock.withLock {
            calls += 1
            latest = (done, total)
        }
    }

    var count: Int { lock.withLock { calls } }
    var last: (Int, Int)? { lock.withLock { latest } }
}
