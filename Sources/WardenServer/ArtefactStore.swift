import Crypto
import Foundation
import Hummingbird
import NIOCore
import WardenCore
import WardenCrypto

/// The registry's artefacts: blobs addressed by the SHA-256 of their plaintext, stored as they
/// came or, with a keyring (warden.yaml `encryption.keyring`), as encrypted files
/// (docs/encryption.md: a fresh data key per blob wrapped by the keyring's current key, AES-256-GCM
/// in 64 KiB chunks). Uploads are encrypted as they stream in and downloads decrypted as they
/// stream out, so memory stays one chunk per request and plaintext never reaches the blob store.
/// Every read of an encrypted blob verifies both the chunks and the digest.
struct ArtefactStore: Sendable {
    let blobs: BlobStore
    let keyring: Keyring?

    /// A blob received from a request.
    struct ReceivedBlob {
        var digest: WardenCore.Digest
        var size: Int64
        /// False when the store already held these bytes.
        var isNew: Bool
    }

    func contains(_ digest: WardenCore.Digest) -> Bool { blobs.contains(digest) }

    /// The plaintext length of a stored blob.
    func size(of digest: WardenCore.Digest) throws -> Int64 {
        guard let keyring else { return try FileIO.size(of: blobs.path(for: digest)) }
        return try opener(digest, keyring).plaintextSize
    }

    /// Streams `body` into the store, hashing (and encrypting) while writing: temp file, fsync,
    /// rename to its digest's place. More than `limit` bytes is a 413 and leaves nothing.
    func receive(_ body: RequestBody, limit: Int) async throws -> ReceivedBlob {
        let temp = try FileIO.temporaryFile(in: blobs.root + "/tmp")
        var hasher = SHA256()
        var total = 0
        do {
            let sealer = try keyring.map { try StreamSealer(keyring: $0) }
            if let sealer { try sealer.header.withUnsafeBytes { try temp.write($0) } }
            for try await buffer in body {
                total += buffer.readableBytes
                guard total <= limit else { throw APIError(.contentTooLarge, "REQUEST_TOO_LARGE", "artefacts are limited to \(limit) bytes") }
                try buffer.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    if let sealer { try sealer.update(raw) { try temp.write($0) } } else { try temp.write(raw) }
                }
            }
            try sealer?.finish { try temp.write($0) }
            let digest = try WardenCore.Digest(bytes: Array(hasher.finalize()))
            return .init(digest: digest, size: Int64(total), isNew: try commit(temp, as: digest))
        } catch {
            temp.discard()
            throw error
        }
    }

    /// Stores bytes held in memory (scan reports).
    func put(bytes: [UInt8]) throws -> WardenCore.Digest {
        guard let keyring else { return try blobs.put(bytes: bytes).digest }
        let digest = WardenCore.Digest.sha256(bytes)
        if contains(digest) { return digest }
        let temp = try FileIO.temporaryFile(in: blobs.root + "/tmp")
        do {
            let sealer = try StreamSealer(keyring: keyring)
            try sealer.header.withUnsafeBytes { try temp.write($0) }
            try bytes.withUnsafeBytes { raw in try sealer.update(raw) { try temp.write($0) } }
            try sealer.finish { try temp.write($0) }
            _ = try commit(temp, as: digest)
            return digest
        } catch {
            temp.discard()
            throw error
        }
    }

    /// Renames a finished temp file to `digest`'s place; false (and the temp removed) when the
    /// store held it already.
    private func commit(_ temp: TempFile, as digest: WardenCore.Digest) throws -> Bool {
        if contains(digest) {
            temp.discard()
            return false
        }
        let destination = blobs.path(for: digest)
        try FileIO.makeDirectory(FileIO.parentDirectory(of: destination))
        try temp.rename(to: destination, mode: 0o444)
        return true
    }

    /// A small blob whole (signature bundles, attestations), its digest verified.
    func read(_ digest: WardenCore.Digest, limit: Int) throws -> [UInt8] {
        guard let keyring else {
            do {
                return try blobs.read(digest, limit: limit)
            } catch {
                // BlobStore's messages name its folder; these name only the blob.
                if error.code == .notFound { throw WardenError.notFound("The object \(digest) is not in the store") }
                if (try? FileIO.size(of: blobs.path(for: digest))).map({ $0 > Int64(limit) }) == true {
                    throw WardenError.invalidInput("The object \(digest) is larger than \(limit) bytes")
                }
                throw unreadable(digest, nil)
            }
        }
        let opener = try opener(digest, keyring)
        guard opener.plaintextSize <= Int64(limit) else {
            throw WardenError.invalidInput("The object \(digest) is larger than \(limit) bytes")
        }
        var bytes: [UInt8] = []
        do {
            while let piece = try opener.next() { bytes += piece }
        } catch {
            throw unreadable(digest, error)
        }
        guard WardenCore.Digest.sha256(bytes) == digest else { throw unreadable(digest, nil) }
        return bytes
    }

    /// Puts the blob's plaintext at `target` (a new path): a hard link into the store when blobs
    /// are plain, else a decrypted copy (mode 0600) whose digest was verified.
    func materialise(_ digest: WardenCore.Digest, at target: String) throws {
        let file = blobs.path(for: digest)
        guard let keyring else {
            if link(file, target) != 0 { try FileManager.default.copyItem(atPath: file, toPath: target) }
            return
        }
        let summary: EncryptedFile.Summary
        do {
            summary = try EncryptedFile.decrypt(file, to: target, keyring: keyring, digest: true)
        } catch {
            throw unreadable(digest, error)
        }
        guard summary.plaintextDigest == digest else {
            try? FileIO.removeFile(target)
            throw unreadable(digest, nil)
        }
    }

    /// Checks that the blob can be read (its key is in the keyring) and returns what streams it:
    /// the body writer sends authenticated chunks and holds back the last piece until the whole
    /// digest matched, so a damaged or swapped blob ends the response early instead of
    /// completing it with wrong bytes.
    func streamer(_ digest: WardenCore.Digest) throws -> @Sendable (inout any ResponseBodyWriter) async throws -> Void {
        let file = blobs.path(for: digest)
        guard let keyring else { return { writer in try await FileStreaming.write(file, to: &writer) } }
        let opener = try opener(digest, keyring)
        return { writer in
            var hasher = SHA256()
            var held: [UInt8]?
            while let piece = try opener.next() {
                if let held { try await writer.write(ByteBuffer(bytes: held)) }
                hasher.update(data: piece)
                held = piece
            }
            guard try WardenCore.Digest(bytes: Array(hasher.finalize())) == digest else { throw unreadable(digest, nil) }
            if let held { try await writer.write(ByteBuffer(bytes: held)) }
            try await writer.finish(nil)
        }
    }

    private func opener(_ digest: WardenCore.Digest, _ keyring: Keyring) throws -> StreamOpener {
        let file = blobs.path(for: digest)
        guard contains(digest) else { throw WardenError.notFound("The object \(digest) is not in the store") }
        do {
            return try StreamOpener(path: file, keyring: keyring)
        } catch {
            throw unreadable(digest, error)
        }
    }

    /// A 500 that names the blob and the key it needs, never a path or key material.
    func unreadable(_ digest: WardenCore.Digest, _ error: (any Error)?) -> APIError {
        let keyID = (try? EncryptedFile.header(of: blobs.path(for: digest)).keyID) ?? "?"
        let why: String
        switch error {
        case let failure as WardenError where failure.code == .notFound:
            why = "its key \(keyID) is not in the server's keyring; start the server with the keyring it was encrypted with"
        case .some:
            why = "it failed authentication (key \(keyID)): the file was modified or the keyring holds a different key under that id"
        case nil:
            why = "its content no longer matches its digest; restore it from a backup"
        }
        return APIError(.internalServerError, "ARTEFACT_UNREADABLE", "the stored object \(digest) cannot be read: \(why)")
    }
}

extension ArtefactStore {
    /// The file in the blob folder recording that its blobs are encrypted, and with which keyring.
    static let markerName = "encryption.json"
    static let markerFormat = "warden-blob-encryption/v1"

    /// Opens the store under `root`, refusing (at start, with what to do) a keyring that does not
    /// match the blobs: plain blobs with a keyring, encrypted blobs without one or with a keyring
    /// that lacks the key they started with. The first start with a keyring on an empty store
    /// records the keyring's current key id (ids only, never key material).
    static func open(root: String, keyring: Keyring?) throws -> ArtefactStore {
        let marker = root + "/" + markerName
        let blobs = BlobStore(root: root)
        let holdsBlobs = !((try? FileManager.default.contentsOfDirectory(atPath: root + "/sha256")) ?? []).isEmpty
        guard FileIO.kind(of: marker) == .regular else {
            guard let keyring else { return ArtefactStore(blobs: blobs, keyring: nil) }
            guard !holdsBlobs else {
                throw WardenError.invalidInput(
                    "The blob store '\(root)' holds unencrypted artefacts; encryption at rest (--keyring) needs a new data folder, or start without --keyring")
            }
            try FileIO.makeDirectory(root)
            let record: JSONValue = ["format": .string(markerFormat), "first_key": .string(keyring.currentID)]
            try FileIO.writeAtomically(record.prettyString() + "\n", to: marker)
            return ArtefactStore(blobs: blobs, keyring: keyring)
        }
        let record = try JSONParser().parse(try FileIO.readAll(marker, limit: 64 << 10), source: marker)
        guard record["format"]?.stringValue == markerFormat, let first = record["first_key"]?.stringValue else {
            throw WardenError.invalidInput("'\(marker)' is malformed; restore it from your backup")
        }
        guard let keyring else {
            throw WardenError.invalidInput("The blob store '\(root)' is encrypted (key \(first) onwards); start the server with its keyring (--keyring or encryption.keyring)")
        }
        guard keyring.key(id: first) != nil else {
            throw WardenError.invalidInput(
                "The blob store '\(root)' was encrypted with a keyring holding key \(first); the keyring '\(keyring.directory)' does not have it (wrong keyring?)")
        }
        return ArtefactStore(blobs: blobs, keyring: keyring)
    }
}
