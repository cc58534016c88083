import Crypto
import Dispatch
import Foundation
import Synchronization
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming authenticated encryption of files at rest: envelope encryption with a fresh data key
/// per file, wrapped by the keyring's current key, and AES-256-GCM in chunks with the STREAM
/// construction (each chunk's nonce is its index and a final-chunk flag), as age and Tink's
/// streaming AEAD do. Truncation, reordering, splicing and any flipped bit fail authentication.
///
/// Memory is bounded (a few batches of chunks, whatever the file size); every core reads and
/// encrypts, sealing each chunk in place (``ChunkCipher``). Output
/// goes to a temporary file renamed into place only when everything succeeded, so decryption never
/// leaves unauthenticated plaintext at the destination. Format: docs/encryption.md.
public enum EncryptedFile {
    /// What an encryption or decryption did.
    public struct Summary: Sendable, Equatable {
        public var keyID: String
        public var plaintextBytes: Int64
        public var ciphertextBytes: Int64
        public var chunks: Int64
        /// The plaintext's SHA-256, when it was asked for.
        public var plaintextDigest: WardenCore.Digest?
    }

    /// Authentication failed: the file (or its header) was modified, truncated, reordered or is
    /// wrapped for a different key with the same id. A check that ran and failed, not bad usage.
    public struct AuthenticationFailure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The default chunk size: 64 KiB, as age uses.
    public static let defaultChunkSizeLog2: UInt8 = 16
    static let tagSize = 16
    /// Chunks handled together: 2 MiB of them, at least 2 (so both cores work) — a hostile header's
    /// 16 MiB chunks cost 3 batches × 32 MiB, not 3 × 512 MiB.
    static func chunksPerBatch(_ chunkSize: Int) -> Int { max(2, min(32, (2 << 20) / chunkSize)) }

    /// Encrypts `input` to `output` with a fresh data key wrapped by `keyring`'s current key.
    ///
    /// Each worker reads its chunk straight into its place in the output batch and seals it there
    /// (no copy in between); a writer thread writes the previous batch meanwhile.
    /// - Parameter digest: also compute the plaintext's SHA-256 (``Summary/plaintextDigest``), in the
    ///   same pass; it costs a sequential hash of every byte.
    public static func encrypt(
        _ input: String, to output: String, keyring: Keyring,
        chunkSizeLog2: UInt8 = defaultChunkSizeLog2, digest: Bool = false, progress: (Int64) -> Void = { _ in }
    ) throws -> Summary {
        guard EncryptedFileHeader.chunkSizeLog2Range.contains(chunkSizeLog2) else {
            throw WardenError.invalidInput("Chunk size 2^\(chunkSizeLog2) is outside 2^12…2^24")
        }
        let source = try SourceFile(input)
        defer { source.close() }
        let kek = keyring.current
        let (header, cipher) = try newPayload(keyring: keyring, chunkSizeLog2: chunkSizeLog2)

        let chunkSize = header.chunkSize
        let sealedSize = chunkSize + tagSize
        let size = source.size
        let chunkCount = max(1, (size + Int64(chunkSize) - 1) / Int64(chunkSize))
        var hasher = digest ? SHA256() : nil
        let temp = try FileIO.temporaryFile(in: FileIO.parentDirectory(of: output), name: FileIO.lastComponent(of: output))
        let sink = WritebackOutput(temp)
        let chunksPerBatch = chunksPerBatch(chunkSize)
        let writer = WriteBehind(capacity: sealedSize * chunksPerBatch) { try sink.write($0) }
        do {
            try header.bytes.withUnsafeBytes { try sink.write($0) }
            var first: Int64 = 0
            while first < chunkCount {
                let count = Int(min(Int64(chunksPerBatch), chunkCount - first))
                let batch = writer.next()
                let firstIndex = first
                func place(_ slot: Int) -> (index: Int64, start: Int, length: Int) {
                    let index = firstIndex + Int64(slot)
                    return (index, slot * sealedSize, Int(min(Int64(chunkSize), size - index * Int64(chunkSize))))
                }
                if hasher != nil {
                    // The hash needs the plaintext in order, before it is sealed in place.
                    try parallel(count) { slot in
                        let (index, start, length) = place(slot)
                        try source.read(into: batch.slice(start, length), count: length, at: index * Int64(chunkSize))
                    }
                    for slot in 0..<count {
                        let (_, start, length) = place(slot)
                        hasher!.update(bufferPointer: UnsafeRawBufferPointer(batch.slice(start, length)))
                    }
                }
                let hashed = hasher != nil
                try parallel(count) { slot in
                    let (index, start, length) = place(slot)
                    let chunk = batch.slice(start, length)
                    if !hashed { try source.read(into: chunk, count: length, at: index * Int64(chunkSize)) }
                    try cipher.seal(chunk, tag: batch.slice(start + length, tagSize), nonce: nonce(index, last: index == chunkCount - 1))
                }
                let last = place(count - 1)
                try writer.submit(last.start + last.length + tagSize)
                first += Int64(count)
                progress(min(size, first * Int64(chunkSize)))
            }
            try writer.finish()
            try temp.rename(to: output, mode: 0o644)
        } catch {
            try? writer.finish()
            temp.discard()
            throw error
        }
        return Summary(
            keyID: kek.id, plaintextBytes: size,
            ciphertextBytes: Int64(header.bytes.count) + size + chunkCount * Int64(tagSize), chunks: chunkCount,
            plaintextDigest: try hasher.map { try WardenCore.Digest(bytes: Array($0.finalize())) }
        )
    }

    /// Decrypts `input` to `output` (mode 0600). `output` appears only after the last chunk
    /// authenticated; on any failure nothing is written there.
    ///
    /// Each worker reads its chunk's ciphertext straight into its place in the plaintext batch and
    /// its tag beside, and opens it there; a writer thread writes the previous batch meanwhile.
    /// - Parameter digest: also compute the plaintext's SHA-256 (``Summary/plaintextDigest``).
    /// - Throws: ``AuthenticationFailure`` when the ciphertext or header was changed;
    ///   ``WardenError`` when the input is not an encrypted file or its key is not in `keyring`.
    public static func decrypt(
        _ input: String, to output: String, keyring: Keyring, digest: Bool = false, progress: (Int64) -> Void = { _ in }
    ) throws -> Summary {
        let source = try SourceFile(input)
        defer { source.close() }
        let (header, headerSize) = try readHeader(source)
        let dataKey = try unwrap(header, keyring: keyring, source: input)
        let cipher = try ChunkCipher(key: payloadKey(dataKey, header: header))

        let chunkSize = header.chunkSize
        let sealedSize = Int64(chunkSize + tagSize)
        let payload = source.size - Int64(headerSize)
        let chunkCount = max(1, (payload + sealedSize - 1) / sealedSize)
        let lastSize = payload - (chunkCount - 1) * sealedSize
        guard lastSize >= Int64(tagSize), chunkCount == 1 || lastSize > Int64(tagSize) else {
            throw AuthenticationFailure(message: "'\(input)' is truncated or padded (its last chunk is \(lastSize) bytes); nothing was written to '\(output)'")
        }
        var hasher = digest ? SHA256() : nil
        let temp = try FileIO.temporaryFile(in: FileIO.parentDirectory(of: output), name: FileIO.lastComponent(of: output))
        let sink = WritebackOutput(temp)
        let chunksPerBatch = chunksPerBatch(chunkSize)
        let writer = WriteBehind(capacity: chunkSize * chunksPerBatch) { try sink.write($0) }
        let tags = UnsafeMutableRawBufferPointer.allocate(byteCount: tagSize * chunksPerBatch, alignment: 16)
        defer { tags.deallocate() }
        do {
            var first: Int64 = 0
            var written: Int64 = 0
            while first < chunkCount {
                let count = Int(min(Int64(chunksPerBatch), chunkCount - first))
                let firstIndex = first
                let inputName = input
                let outputName = output
                let batch = writer.next()
                func place(_ slot: Int) -> (index: Int64, start: Int, length: Int) {
                    let index = firstIndex + Int64(slot)
                    return (index, slot * chunkSize, index == chunkCount - 1 ? Int(lastSize) - tagSize : chunkSize)
                }
                try parallel(count) { slot in
                    let (index, start, length) = place(slot)
                    let offset = Int64(headerSize) + index * sealedSize
                    let chunk = batch.slice(start, length)
                    let tag = tags.slice(slot * tagSize, tagSize)
                    try source.read(into: chunk, count: length, at: offset)
                    try source.read(into: tag, count: tagSize, at: offset + Int64(length))
                    guard cipher.open(chunk, tag: UnsafeRawBufferPointer(tag), nonce: nonce(index, last: index == chunkCount - 1)) else {
                        throw AuthenticationFailure(
                            message: "Chunk \(index) of '\(inputName)' failed authentication: the file was modified, truncated or reordered; nothing was written to '\(outputName)'"
                        )
                    }
                }
                let last = place(count - 1)
                let plainBytes = last.start + last.length
                hasher?.update(bufferPointer: UnsafeRawBufferPointer(batch.slice(0, plainBytes)))
                try writer.submit(plainBytes)
                first += Int64(count)
                written += Int64(plainBytes)
                progress(Int64(headerSize) + written + first * Int64(tagSize))
            }
            try writer.finish()
            try temp.rename(to: output, mode: 0o600)
            return Summary(
                keyID: header.keyID, plaintextBytes: written, ciphertextBytes: source.size, chunks: chunkCount,
                plaintextDigest: try hasher.map { try WardenCore.Digest(bytes: Array($0.finalize())) })
        } catch {
            try? writer.finish()
            temp.discard()
            throw error
        }
    }

    /// Re-wraps the data key of the encrypted file at `path` with `keyring`'s current key, without
    /// touching the encrypted payload (it is copied, not re-encrypted). Atomic.
    /// - Returns: false when the file was already wrapped with the current key.
    @discardableResult
    public static func rewrap(_ path: String, keyring: Keyring) throws -> Bool {
        let source = try SourceFile(path)
        defer { source.close() }
        let (header, headerSize) = try readHeader(source)
        guard header.keyID != keyring.currentID else { return false }
        let dataKey = try unwrap(header, keyring: keyring, source: path)
        var rewrapped = header
        try wrap(dataKey, into: &rewrapped, with: keyring.current)
        let temp = try FileIO.temporaryFile(in: FileIO.parentDirectory(of: path), name: FileIO.lastComponent(of: path))
        do {
            try rewrapped.bytes.withUnsafeBytes { try temp.write($0) }
            try FileIO.forEachChunk(of: path, range: Int64(headerSize)..<source.size) { try temp.write($0) }
            try temp.rename(to: path, mode: source.mode)
        } catch {
            temp.discard()
            throw error
        }
        return true
    }

    /// The header of an encrypted file (to show which key it needs).
    public static func header(of path: String) throws -> EncryptedFileHeader {
        let source = try SourceFile(path)
        defer { source.close() }
        return try readHeader(source).header
    }

    // MARK: - Pieces

    /// A fresh data key wrapped by `keyring`'s current key: the header to write and the cipher
    /// of the payload.
    static func newPayload(keyring: Keyring, chunkSizeLog2: UInt8) throws -> (EncryptedFileHeader, ChunkCipher) {
        let dataKey = SymmetricKey(size: .bits256)
        var header = EncryptedFileHeader(
            chunkSizeLog2: chunkSizeLog2, salt: randomBytes(16), keyID: keyring.current.id,
            wrapNonce: [], wrappedKey: [], wrapTag: []
        )
        try wrap(dataKey, into: &header, with: keyring.current)
        return (header, try ChunkCipher(key: payloadKey(dataKey, header: header)))
    }

    static func readHeader(_ source: SourceFile) throws -> (header: EncryptedFileHeader, size: Int) {
        let count = Int(min(source.size, Int64(EncryptedFileHeader.maximumSize)))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
        defer { buffer.deallocate() }
        try source.read(into: buffer, count: count, at: 0)
        return try EncryptedFileHeader.parse(Array(buffer[0..<count]), source: source.path)
    }

    static func wrap(_ dataKey: SymmetricKey, into header: inout EncryptedFileHeader, with kek: Keyring.Key) throws {
        header.keyID = kek.id
        let box = try AES.GCM.seal(
            dataKey.withUnsafeBytes { Array($0) }, using: kek.symmetricKey, nonce: AES.GCM.Nonce(),
            authenticating: wrapContext(header)
        )
        header.wrapNonce = Array(box.nonce)
        header.wrappedKey = Array(box.ciphertext)
        header.wrapTag = Array(box.tag)
    }

    static func unwrap(_ header: EncryptedFileHeader, keyring: Keyring, source: String) throws -> SymmetricKey {
        guard let kek = keyring.key(id: header.keyID) else {
            throw WardenError.notFound(
                "'\(source)' was encrypted with key \(header.keyID), which the keyring '\(keyring.directory)' does not have; use the keyring it was encrypted with"
            )
        }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: header.wrapNonce), ciphertext: header.wrappedKey, tag: header.wrapTag
            )
            return SymmetricKey(data: try AES.GCM.open(box, using: kek.symmetricKey, authenticating: wrapContext(header)))
        } catch {
            throw AuthenticationFailure(
                message: "The header of '\(source)' failed authentication with key \(header.keyID): the header was modified or the keyring holds a different key under that id"
            )
        }
    }

    static func wrapContext(_ header: EncryptedFileHeader) -> [UInt8] {
        Array("warden-wrap-v1".utf8) + header.fixedBytes + Array(header.keyID.utf8)
    }

    static func payloadKey(_ dataKey: SymmetricKey, header: EncryptedFileHeader) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dataKey, salt: header.salt,
            info: Array("warden-stream-v1".utf8) + header.fixedBytes, outputByteCount: 32
        )
    }

    /// STREAM nonce: 11-byte big-endian chunk index, then 1 for the final chunk, else 0.
    static func nonce(_ index: Int64, last: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12)
        var value = UInt64(index)
        for position in stride(from: 10, through: 3, by: -1) {
            bytes[position] = UInt8(truncatingIfNeeded: value)
            value >>= 8
        }
        bytes[11] = last ? 1 : 0
        return bytes
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Runs `body` for slots 0..<count on every core; rethrows the first error. `body` may touch
    /// shared buffers only at its own slot's range (that is what makes the unchecked box safe).
    static func parallel(_ count: Int, _ body: (Int) throws -> Void) throws {
        let workers = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let failure = Mutex<(any Error)?>(nil)
        try withoutActuallyEscaping(body) { body in
            let work = SlotWork(run: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var slot = worker
                while slot < count {
                    do {
                        try work.run(slot)
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        return
                    }
                    slot += workers
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }
}

/// The writer thread's end of an output file: writes in order and starts the disk write-back of
/// every few MiB as it goes, so the final fsync does not wait for the whole file.
private final class WritebackOutput: @unchecked Sendable {
    // Used by the writer thread only (WriteBehind calls `write` from that one thread).
    static let writebackStep: Int64 = 8 << 20
    let file: TempFile
    var written: Int64 = 0
    var started: Int64 = 0

    init(_ file: TempFile) { self.file = file }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        written += Int64(bytes.count)
        if written - started >= Self.writebackStep {
            file.startWriteback(offset: started, count: written - started)
            started = written
        }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// `count` bytes from `start`, as a buffer of their own.
    func slice(_ start: Int, _ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[start..<start + count])
    }
}

/// A per-slot closure handed to worker threads; slots write disjoint memory.
private struct SlotWork: @unchecked Sendable {
    let run: (Int) throws -> Void
}

/// An input file opened once, with its size and mode taken at open time.
struct SourceFile {
    let path: String
    let fd: Int32
    let size: Int64
    let mode: mode_t

    init(_ path: String) throws(WardenError) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("Cannot open '\(path)': \(FileIO.errnoText())") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            throw .invalidInput("'\(path)' is not a regular file")
        }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        self.path = path
        self.fd = fd
        self.size = Int64(info.st_size)
        self.mode = info.st_mode & 0o7777
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64) throws(WardenError) {
        var done = 0
        while done < count {
            let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + Int64(done)))
            if got < 0 {
                if errno == EINTR { continue }
                throw .io("Cannot read '\(path)': \(FileIO.errnoText())")
            }
            if got == 0 { throw .io("'\(path)' ended at byte \(offset + Int64(done)), before \(offset + Int64(count)); was it changed while being read?") }
            done += got
        }
    }

    func close() { Glibc.close(fd) }
}
