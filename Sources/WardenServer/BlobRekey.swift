import Crypto
import Foundation
import WardenCore
import WardenCrypto
import WardenRegistry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Moves every artefact blob of an encrypted registry store (`DATA/blobs`) onto the keyring's
/// current key after `warden keys rotate`: `warden registry rekey`.
///
/// Per blob, atomically: the new file is written beside it (temp, fsync), renamed over it and the
/// folder synced. ``Mode/rewrap`` re-wraps the blob's data key only (the payload is copied, as
/// `warden keys rewrap` does); ``Mode/reencrypt`` also draws a fresh data key and re-encrypts the
/// payload from the authenticated plaintext (kept in memory one piece at a time), checking its
/// SHA-256 against the blob's name before the rename.
///
/// Crash-safe and resumable through the registry store: before a rename, a `blob-rekey` document
/// (`state: started`, audited `artefact.rekey.begin`) records the move; after it, the document says
/// `done` (audited `artefact.rekey`). A rerun skips blobs already on the current key, completes
/// the record of a blob whose rename happened before the crash, redoes one whose rename did not,
/// and removes the temp files a crash left. Once every blob is on the current key, the store's
/// marker (`blobs/encryption.json`) names it, so older keys may leave the keyring.
public struct BlobRekey: Sendable {
    /// How a blob moves to the current key.
    public enum Mode: String, Sendable, CaseIterable {
        /// A new wrap of the same data key; the payload is copied unchanged (fast).
        case rewrap
        /// A fresh data key and the payload re-encrypted (for a data key that may have leaked).
        case reencrypt
    }

    /// A blob that could not be moved; the run goes on with the others.
    public struct Failure: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// Its key id is not in the keyring.
            case missingKey = "missing_key"
            /// The keyring holds a different key under its id, or the file was modified.
            case authentication
            /// Not an encrypted blob, or its plaintext no longer matches its digest.
            case damaged
        }
        public var digest: String
        public var keyID: String?
        public var kind: Kind
        public var message: String
    }

    /// What a run did.
    public struct Summary: Sendable, Equatable {
        public var currentKey: String
        public var mode: Mode
        public var blobs = 0
        /// Moved to the current key by this run.
        public var rekeyed = 0
        /// Already on the current key (uploaded after the rotation, or moved by an earlier run).
        public var alreadyCurrent = 0
        /// Moved before a crash; this run completed their record.
        public var resumed = 0
        /// Temp files of an interrupted run, removed.
        public var removedTempFiles = 0
        /// Bytes of the blobs moved by this run (ciphertext).
        public var bytes: Int64 = 0
        public var failures: [Failure] = []
        /// True when every blob is on the current key and the marker now names it.
        public var complete = false
    }

    /// The document kind of the per-blob journal.
    public static let journalKind = "blob-rekey"

    public let root: String
    public let keyring: Keyring
    public let store: any RegistryStore
    public let actor: String
    public let clock: WardenClock
    /// Called after each blob's rename and before its `done` record (tests: a crash there).
    package var afterRename: (@Sendable (WardenCore.Digest) throws -> Void)?

    /// - Parameters:
    ///   - data: the registry's data folder (`warden serve --data`); its blobs are under `DATA/blobs`.
    ///   - actor: who runs it, for the audit events.
    public init(data: String, keyring: Keyring, store: any RegistryStore, actor: String, clock: WardenClock = .system) {
        self.root = data + "/blobs"
        self.keyring = keyring
        self.store = store
        self.actor = actor
        self.clock = clock
    }

    /// Moves every blob not yet on the current key; `progress(done, total)` after each blob.
    /// - Throws: `WardenError` when the store is not encrypted, the keyring lacks the key the store
    ///   started with, another rekey holds the lock, or a file cannot be written.
    public func run(mode: Mode, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        let lock = try Self.lock(root)
        defer { close(lock) }
        try checkMarker()
        var summary = Summary(currentKey: keyring.currentID, mode: mode)
        summary.removedTempFiles = removeInterruptedTempFiles()
        let blobs = try listBlobs()
        summary.blobs = blobs.count
        var journal: [String: JSONValue] = [:]
        for (id, value) in try await store.documents(Self.journalKind, prefix: "", limit: Int(Int32.max)) { journal[id] = value }
        let current = keyring.currentID
        for (index, digest) in blobs.enumerated() {
            defer { progress(index + 1, blobs.count) }
            let path = BlobStore(root: root).path(for: digest)
            let header: EncryptedFileHeader
            do {
                header = try EncryptedFile.header(of: path)
            } catch {
                summary.failures.append(.init(digest: digest.description, kind: .damaged, message: "\(digest) is not an encrypted blob: \(error)"))
                continue
            }
            let record = journal[digest.description]
            if header.keyID == current {
                if record?["state"]?.stringValue == "started", record?["to"]?.stringValue == current {
                    try await finish(digest, from: record?["from"]?.stringValue ?? "?", mode: record?["mode"]?.stringValue ?? mode.rawValue, bytes: nil)
                    summary.resumed += 1
                } else {
                    summary.alreadyCurrent += 1
                }
                continue
            }
            guard keyring.key(id: header.keyID) != nil else {
                summary.failures.append(
                    .init(
                        digest: digest.description, keyID: header.keyID, kind: .missingKey,
                        message: "\(digest) is encrypted with key \(header.keyID), which the keyring '\(keyring.directory)' does not have"))
                continue
            }
            try await store.saveDocument(
                Self.journalKind, digest.description,
                ["from": .string(header.keyID), "to": .string(current), "mode": .string(mode.rawValue), "state": "started"], onlyIfAbsent: false,
                audit: draft("artefact.rekey.begin", digest, ["from": .string(header.keyID), "to": .string(current), "mode": .string(mode.rawValue)]))
            do {
                switch mode {
                case .rewrap: try EncryptedFile.rewrap(path, keyring: keyring)
                case .reencrypt: try reencrypt(path, digest: digest)
                }
            } catch let failure as EncryptedFile.AuthenticationFailure {
                summary.failures.append(
                    .init(
                        digest: digest.description, keyID: header.keyID, kind: .authentication,
                        message: "\(digest) failed authentication with key \(header.keyID) (the keyring holds a different key under that id, or the blob was modified): \(failure.message)"))
                continue
            } catch let failure as RekeyDamage {
                summary.failures.append(.init(digest: digest.description, keyID: header.keyID, kind: .damaged, message: failure.message))
                continue
            } catch let failure as WardenError where failure.code != .io {
                // Truncated, padded or otherwise not a well-formed encrypted file.
                summary.failures.append(.init(digest: digest.description, keyID: header.keyID, kind: .damaged, message: "\(digest): \(failure.message)"))
                continue
            }
            try afterRename?(digest)
            let size = (try? FileIO.size(of: path)) ?? 0
            try await finish(digest, from: header.keyID, mode: mode.rawValue, bytes: size)
            summary.rekeyed += 1
            summary.bytes += size
        }
        if summary.failures.isEmpty {
            try writeMarker()
            summary.complete = true
        }
        try await store.appendAudit(
            draft(
                "registry.rekey", nil,
                [
                    "to": .string(current), "mode": .string(mode.rawValue), "blobs": .int(Int64(summary.blobs)), "rekeyed": .int(Int64(summary.rekeyed)),
                    "resumed": .int(Int64(summary.resumed)), "already_current": .int(Int64(summary.alreadyCurrent)),
                    "failures": .int(Int64(summary.failures.count)), "complete": .bool(summary.complete),
                ]))
        return summary
    }

    // MARK: steps

    func draft(_ action: String, _ digest: WardenCore.Digest?, _ details: JSONValue) -> AuditDraft {
        AuditDraft(time: clock.timestamp(), actor: actor, action: action, subject: digest.map { "blob/\($0)" } ?? "blobs", details: details)
    }

    /// Records a blob's move as done (the rename is durable by then).
    func finish(_ digest: WardenCore.Digest, from: String, mode: String, bytes: Int64?) async throws {
        var details: [(String, JSONValue)] = [("from", .string(from)), ("to", .string(keyring.currentID)), ("mode", .string(mode))]
        if bytes == nil { details.append(("resumed", true)) }
        try await store.saveDocument(
            Self.journalKind, digest.description,
            ["from": .string(from), "to": .string(keyring.currentID), "mode": .string(mode), "state": "done", "time": .string(clock.timestamp())],
            onlyIfAbsent: false, audit: draft("artefact.rekey", digest, .object(details)))
    }

    /// A plaintext that no longer matches the blob's name.
    struct RekeyDamage: Error {
        var message: String
    }

    /// Re-encrypts the blob at `path` under a fresh data key wrapped by the current key: the
    /// authenticated plaintext streams from the old file into the new one, its digest checked
    /// before the rename (fsync of the file, rename, fsync of the folder).
    func reencrypt(_ path: String, digest: WardenCore.Digest) throws {
        let opener = try StreamOpener(path: path, keyring: keyring)
        let temp = try FileIO.temporaryFile(in: FileIO.parentDirectory(of: path), name: FileIO.lastComponent(of: path))
        do {
            let sealer = try StreamSealer(keyring: keyring, chunkSizeLog2: opener.header.chunkSizeLog2)
            try sealer.header.withUnsafeBytes { try temp.write($0) }
            var hasher = SHA256()
            while let piece = try opener.next() {
                hasher.update(data: piece)
                try piece.withUnsafeBytes { raw in try sealer.update(raw) { try temp.write($0) } }
            }
            try sealer.finish { try temp.write($0) }
            guard try WardenCore.Digest(bytes: Array(hasher.finalize())) == digest else {
                throw RekeyDamage(message: "\(digest): its plaintext no longer matches its digest; restore it from a backup")
            }
            try temp.rename(to: path, mode: 0o444)
        } catch {
            temp.discard()
            throw error
        }
    }

    /// The store must be encrypted (its marker present) and the keyring must hold the key the
    /// marker names, as `warden serve` requires.
    func checkMarker() throws {
        let marker = root + "/" + ArtefactStore.markerName
        guard FileIO.kind(of: marker) == .regular else {
            throw WardenError.invalidInput(
                "The blob store '\(root)' is not encrypted (no \(ArtefactStore.markerName)); rekey moves an encrypted store to the keyring's current key")
        }
        let record = try JSONParser().parse(try FileIO.readAll(marker, limit: 64 << 10), source: marker)
        guard record["format"]?.stringValue == ArtefactStore.markerFormat, let first = record["first_key"]?.stringValue else {
            throw WardenError.invalidInput("'\(marker)' is malformed; restore it from your backup")
        }
        guard keyring.key(id: first) != nil else {
            throw WardenError.invalidInput(
                "The blob store '\(root)' was encrypted with a keyring holding key \(first); the keyring '\(keyring.directory)' does not have it (wrong keyring?)")
        }
    }

    /// Points the marker at the current key (atomic write): every blob is on it now.
    func writeMarker() throws {
        let record: JSONValue = ["format": .string(ArtefactStore.markerFormat), "first_key": .string(keyring.currentID), "rekeyed": .string(clock.timestamp())]
        try FileIO.writeAtomically(record.prettyString() + "\n", to: root + "/" + ArtefactStore.markerName, mode: 0o644)
    }

    /// Every blob in the store, in digest order (names that are not digests are left alone).
    func listBlobs() throws -> [WardenCore.Digest] {
        let base = root + "/sha256"
        var out: [WardenCore.Digest] = []
        for prefix in ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted() where prefix.count == 2 {
            for name in try FileManager.default.contentsOfDirectory(atPath: base + "/" + prefix) where !name.hasPrefix(".") {
                guard FileIO.kind(of: base + "/" + prefix + "/" + name) == .regular, let digest = try? WardenCore.Digest(parsing: "sha256:" + prefix + name)
                else { continue }
                out.append(digest)
            }
        }
        return out.sorted { $0.description < $1.description }
    }

    /// Removes the hidden temp files (`.NAME.tmp-…`) a crashed rekey left beside the blobs.
    func removeInterruptedTempFiles() -> Int {
        let base = root + "/sha256"
        var removed = 0
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: base + "/" + prefix)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
                if (try? FileIO.removeFile(base + "/" + prefix + "/" + name)) != nil { removed += 1 }
            }
        }
        return removed
    }

    /// An exclusive lock on `ROOT/rekey.lock` for the run (one rekey at a time per store).
    static func lock(_ root: String) throws -> Int32 {
        try FileIO.makeDirectory(root)
        let fd = open(root + "/rekey.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WardenError.io("Cannot open '\(root)/rekey.lock': \(FileIO.errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw WardenError.invalidInput("Another `warden registry rekey` is running on '\(root)'")
        }
        return fd
    }
}
