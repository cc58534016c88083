import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A content-addressed store of immutable blobs in a folder: `ROOT/sha256/ab/cdef…` (the first two
/// hex digits name a subfolder). Storing hashes and copies in one streaming pass; every write is
/// temp + fsync + rename, so a blob is either absent or complete; reading back re-verifies the
/// digest, so a corrupted object is never handed out. Data versions, registry artefacts and remotes
/// all use it.
public struct BlobStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Where the blob with `digest` lives (whether or not it exists).
    public func path(for digest: Digest) -> String {
        let hex = digest.hex
        return "\(root)/sha256/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    public func contains(_ digest: Digest) -> Bool {
        FileIO.kind(of: path(for: digest)) == .regular
    }

    /// The outcome of storing something.
    public struct Stored: Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        /// False when the store already held these bytes (deduplicated).
        public var isNew: Bool
    }

    /// Stores the file at `source`, hashing while copying (one read of the file).
    /// - Parameter progress: called with the bytes done so far.
    /// - Parameter batch: when given, the blob is written but not yet synced or renamed; the
    ///   batch's ``Batch/commit()`` makes all of them durable with one filesystem sync (hundreds of
    ///   per-file fsyncs were the bottleneck when storing many files).
    public func put(file source: String, batch: Batch? = nil, progress: (Int64) -> Void = { _ in }) throws -> Stored {
        let temp = try TempFile(in: root)
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            try FileIO.forEachChunkReadingAhead(of: source) { chunk in
                hasher.update(bufferPointer: chunk)
                try temp.write(chunk)
                size += Int64(chunk.count)
                progress(size)
            }
        } catch {
            temp.discard()
            throw error
        }
        let digest = try Digest(bytes: Array(hasher.finalize()))
        if let batch {
            Glibc.close(temp.fd)
            let stored = contains(digest)
            let isNew = batch.pending.withLock { items in
                let first = !stored && !items.contains { $0.1 == digest }
                items.append((temp.path, digest))
                return first
            }
            return Stored(digest: digest, size: size, isNew: isNew)
        }
        return try temp.commit(as: digest, size: size, store: self)
    }

    /// Blobs written together and made durable together: their data is synced to disk before any
    /// of them is renamed into place, so the store still never shows a partial object.
    public final class Batch: Sendable {
        let store: BlobStore
        let pending = Mutex<[(String, Digest)]>([])

        public init(store: BlobStore) { self.store = store }

        /// Syncs the filesystem, renames every pending blob into place, syncs again.
        public func commit() throws(WardenError) {
            let items = pending.withLock { items in
                defer { items.removeAll() }
                return items
            }
            guard !items.isEmpty else { return }
            try store.syncFilesystem()
            for (temp, digest) in items {
                let destination = store.path(for: digest)
                if store.contains(digest) {
                    unlink(temp)
                    continue
                }
                try FileIO.makeDirectory(FileIO.parentDirectory(of: destination))
                chmod(temp, 0o444)
                guard rename(temp, destination) == 0 else {
                    let text = FileIO.errnoText()
                    unlink(temp)
                    throw .io("Cannot store '\(destination)': \(text)")
                }
            }
            try store.syncFilesystem()
        }

        /// Removes every pending temp file (after a failure).
        public func discard() {
            for (temp, _) in pending.withLock({ $0 }) { unlink(temp) }
            pending.withLock { $0.removeAll() }
        }
    }

    /// `syncfs` on the store's filesystem: data and directory entries written so far reach the disk.
    func syncFilesystem() throws(WardenError) {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("Cannot open the store '\(root)': \(FileIO.errnoText())") }
        defer { close(fd) }
        // syncfs(2) is not in Glibc's Swift module (it needs _GNU_SOURCE); look it up, else sync(2).
        if let syncfs = Self.syncfs {
            guard syncfs(fd) == 0 else { throw .io("Cannot sync the store '\(root)': \(FileIO.errnoText())") }
        } else {
            sync()
        }
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    private static let syncfs: SyncFS? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
    }()

    /// Stores bytes held in memory (manifests, small records).
    @discardableResult
    public func put(bytes: [UInt8]) throws(WardenError) -> Stored {
        let digest = Digest.sha256(bytes)
        if contains(digest) { return Stored(digest: digest, size: Int64(bytes.count), isNew: false) }
        let temp = try TempFile(in: root)
        let failure: WardenError? = bytes.withUnsafeBytes { raw in
            do throws(WardenError) { try temp.write(raw) } catch { return error }
            return nil
        }
        if let failure {
            temp.discard()
            throw failure
        }
        return try temp.commit(as: digest, size: Int64(bytes.count), store: self)
    }

    /// Reads a small blob whole, verifying its digest.
    public func read(_ digest: Digest, limit: Int = 256 << 20) throws(WardenError) -> [UInt8] {
        let file = path(for: digest)
        guard contains(digest) else { throw .notFound("The object \(digest) is not in the store '\(root)'") }
        let bytes = try FileIO.readAll(file, limit: limit)
        guard Digest.sha256(bytes) == digest else { throw corrupted(digest) }
        return bytes
    }

    /// Copies a blob to `destination` atomically, verifying its digest on the way: the destination
    /// appears only if the bytes are exactly the blob's.
    public func export(_ digest: Digest, to destination: String, mode: mode_t = 0o644) throws {
        let source = path(for: digest)
        guard contains(digest) else { throw WardenError.notFound("The object \(digest) is not in the store '\(root)'") }
        let directory = FileIO.parentDirectory(of: destination)
        try FileIO.makeDirectory(directory)
        let temp = try TempFile(in: directory, hidden: FileIO.lastComponent(of: destination))
        var hasher = SHA256()
        do {
            try FileIO.forEachChunkReadingAhead(of: source) { chunk in
                hasher.update(bufferPointer: chunk)
                try temp.write(chunk)
            }
            guard try Digest(bytes: Array(hasher.finalize())) == digest else { throw corrupted(digest) }
            try temp.rename(to: destination, mode: mode)
        } catch {
            temp.discard()
            throw error
        }
    }

    /// Re-hashes a stored blob; false if it no longer matches its name.
    public func verify(_ digest: Digest) throws -> Bool {
        try Digest.sha256(ofFile: path(for: digest)) == digest
    }

    /// Copies a blob into another store (push/pull), verifying it; returns false if it was there.
    @discardableResult
    public func copy(_ digest: Digest, to other: BlobStore) throws -> Bool {
        if other.contains(digest) { return false }
        let stored = try other.put(file: path(for: digest))
        guard stored.digest == digest else {
            try? FileIO.removeFile(other.path(for: stored.digest))
            throw corrupted(digest)
        }
        return true
    }

    func corrupted(_ digest: Digest) -> WardenError {
        .invalidInput("The object \(digest) in '\(root)' is corrupted (its content no longer matches its digest); restore it from a remote")
    }
}

extension FileIO {
    /// A new empty file in `folder` (created if needed) to write in pieces, then rename or remove.
    public static func temporaryFile(in folder: String, name: String = "upload") throws(WardenError) -> TempFile {
        try makeDirectory(folder)
        return try TempFile(in: folder, hidden: name)
    }
}

/// A temporary file written in pieces, then renamed into place or removed.
public final class TempFile: Sendable {
    public let path: String
    let fd: Int32

    init(in folder: String, hidden name: String? = nil) throws(WardenError) {
        let directory = name == nil ? folder + "/tmp" : folder
        try FileIO.makeDirectory(directory)
        var template = Array("\(directory)/.\(name ?? "blob").tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .io("Cannot create a temporary file in '\(directory)': \(FileIO.errnoText())") }
        self.fd = fd
        self.path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(WardenError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("Cannot write '\(path)': \(FileIO.errnoText())")
            }
            done += n
        }
    }

    /// Asks the kernel to start writing `count` bytes from `offset` to disk now, without waiting
    /// (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`), so the fsync before the rename has less
    /// left to do. Does nothing where the call is missing; durability still comes from that fsync.
    public func startWriteback(offset: Int64, count: Int64) {
        guard let syncFileRange = Self.syncFileRange else { return }
        _ = syncFileRange(fd, offset, count, 2)  // SYNC_FILE_RANGE_WRITE
    }

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    // sync_file_range(2) is not in Glibc's Swift module (it needs _GNU_SOURCE); look it up.
    private static let syncFileRange: SyncFileRange? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
    }()

    /// Closes and deletes the file.
    public func discard() {
        Glibc.close(fd)
        unlink(path)
    }

    /// Flushes the data to disk and closes the descriptor (the file stays for the caller).
    public func close() throws(WardenError) {
        guard fsync(fd) == 0 else { throw .io("Cannot write '\(path)': \(FileIO.errnoText())") }
        Glibc.close(fd)
    }

    /// fsync, rename to `destination`, fsync the folder.
    public func rename(to destination: String, mode: mode_t) throws(WardenError) {
        fchmod(fd, mode)
        guard fsync(fd) == 0 else { throw .io("Cannot write '\(destination)': \(FileIO.errnoText())") }
        Glibc.close(fd)
        guard Glibc.rename(path, destination) == 0 else {
            let text = FileIO.errnoText()
            unlink(path)
            throw .io("Cannot write '\(destination)': \(text)")
        }
        FileIO.syncDirectory(FileIO.parentDirectory(of: destination))
    }

    /// Moves the finished blob to its digest's place (or drops it when the store has it already).
    func commit(as digest: Digest, size: Int64, store: BlobStore) throws(WardenError) -> BlobStore.Stored {
        let destination = store.path(for: digest)
        if store.contains(digest) {
            discard()
            return .init(digest: digest, size: size, isNew: false)
        }
        do {
            try FileIO.makeDirectory(FileIO.parentDirectory(of: destination))
            try rename(to: destination, mode: 0o444)
        } catch {
            discard()
            throw error
        }
        return .init(digest: digest, size: size, isNew: true)
    }
}
