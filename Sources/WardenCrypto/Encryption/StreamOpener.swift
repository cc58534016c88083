import WardenCore

/// Decrypts an encrypted file (``EncryptedFile``'s format) piece by piece, for a reader that
/// sends plaintext on as it goes (a download) instead of writing a file. Every piece it returns
/// has authenticated; memory is one piece (``next(maxBytes:)``).
///
/// A caller that must not hand out a prefix of a damaged file holds back the last piece until
/// ``next(maxBytes:)`` returns nil: a truncated, reordered or modified file throws before then.
/// Not for concurrent use: one task at a time reads it (it may be handed from task to task).
public final class StreamOpener: @unchecked Sendable {
    public let header: EncryptedFileHeader
    /// The plaintext's length, from the file's length and chunk size.
    public let plaintextSize: Int64
    private let source: SourceFile
    private let cipher: ChunkCipher
    private let headerSize: Int
    private let chunkCount: Int64
    private let lastSize: Int64
    private var index: Int64 = 0

    /// Opens `path` and unwraps its data key.
    /// - Throws: ``EncryptedFile/AuthenticationFailure`` when the header was changed or the key
    ///   under its id differs; ``WardenError`` when the file is not an encrypted file, is cut
    ///   short, or its key is not in `keyring`.
    public init(path: String, keyring: Keyring) throws {
        let source = try SourceFile(path)
        do {
            let (header, headerSize) = try EncryptedFile.readHeader(source)
            let sealedSize = Int64(header.chunkSize + EncryptedFile.tagSize)
            let payload = source.size - Int64(headerSize)
            let chunkCount = max(1, (payload + sealedSize - 1) / sealedSize)
            let lastSize = payload - (chunkCount - 1) * sealedSize
            guard lastSize >= Int64(EncryptedFile.tagSize), chunkCount == 1 || lastSize > Int64(EncryptedFile.tagSize) else {
                throw EncryptedFile.AuthenticationFailure(message: "'\(path)' is truncated or padded (its last chunk is \(lastSize) bytes)")
            }
            let dataKey = try EncryptedFile.unwrap(header, keyring: keyring, source: path)
            self.cipher = try ChunkCipher(key: EncryptedFile.payloadKey(dataKey, header: header))
            self.header = header
            self.headerSize = headerSize
            self.chunkCount = chunkCount
            self.lastSize = lastSize
            self.plaintextSize = payload - chunkCount * Int64(EncryptedFile.tagSize)
            self.source = source
        } catch {
            source.close()
            throw error
        }
    }

    deinit { source.close() }

    /// The next authenticated plaintext: whole chunks, about `maxBytes` (at least one chunk); nil
    /// after the last chunk.
    /// - Throws: ``EncryptedFile/AuthenticationFailure`` naming the chunk that failed.
    public func next(maxBytes: Int = 1 << 20) throws -> [UInt8]? {
        guard index < chunkCount else { return nil }
        let chunkSize = header.chunkSize
        let sealedSize = Int64(chunkSize + EncryptedFile.tagSize)
        let count = Int(min(Int64(max(1, maxBytes / chunkSize)), chunkCount - index))
        func length(_ chunk: Int64) -> Int { chunk == chunkCount - 1 ? Int(lastSize) - EncryptedFile.tagSize : chunkSize }
        let total = (0..<count).reduce(0) { $0 + length(index + Int64($1)) }
        var tag = [UInt8](repeating: 0, count: EncryptedFile.tagSize)
        let first = index
        let plaintext = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var start = 0
            for slot in 0..<count {
                let chunk = first + Int64(slot)
                let size = length(chunk)
                let offset = Int64(headerSize) + chunk * sealedSize
                let piece = raw.slice(start, size)
                try source.read(into: piece, count: size, at: offset)
                try tag.withUnsafeMutableBytes { try source.read(into: $0, count: EncryptedFile.tagSize, at: offset + Int64(size)) }
                let opened = tag.withUnsafeBytes { cipher.open(piece, tag: $0, nonce: EncryptedFile.nonce(chunk, last: chunk == chunkCount - 1)) }
                guard opened else {
                    raw.initializeMemory(as: UInt8.self, repeating: 0)
                    initialized = total
                    throw EncryptedFile.AuthenticationFailure(
                        message: "Chunk \(chunk) of '\(source.path)' failed authentication: the file was modified, truncated or reordered")
                }
                start += size
            }
            initialized = total
        }
        index += Int64(count)
        return plaintext
    }
}
