import WardenCore

/// Encrypts a stream whose length is not known in advance (an upload arriving in pieces) into the
/// encrypted-file format of ``EncryptedFile`` (docs/encryption.md), so `warden data decrypt`
/// reads the result. Memory is one chunk whatever the stream's length: a full chunk is sealed
/// when the next byte arrives (until then it may be the last one, which STREAM marks).
///
/// Not for concurrent use: one task feeds it.
public final class StreamSealer {
    /// The header, to be written before the first sealed chunk.
    public let header: [UInt8]
    /// The keyring key that wraps this stream's data key.
    public let keyID: String
    /// Plaintext bytes held at most (one chunk).
    public let chunkSize: Int
    private let cipher: ChunkCipher
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var index: Int64 = 0
    private var finished = false

    public init(keyring: Keyring, chunkSizeLog2: UInt8 = EncryptedFile.defaultChunkSizeLog2) throws {
        guard EncryptedFileHeader.chunkSizeLog2Range.contains(chunkSizeLog2) else {
            throw WardenError.invalidInput("Chunk size 2^\(chunkSizeLog2) is outside 2^12…2^24")
        }
        let (header, cipher) = try EncryptedFile.newPayload(keyring: keyring, chunkSizeLog2: chunkSizeLog2)
        self.header = header.bytes
        self.keyID = header.keyID
        self.chunkSize = header.chunkSize
        self.cipher = cipher
        buffer = .allocate(byteCount: header.chunkSize + EncryptedFile.tagSize, alignment: 16)
    }

    deinit {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        buffer.deallocate()
    }

    /// Adds plaintext; `emit` receives each sealed chunk (ciphertext and tag) as it completes.
    public func update(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "StreamSealer used after finish")
        var offset = 0
        while offset < bytes.count {
            if filled == chunkSize { try seal(last: false, emit: emit) }
            let count = min(chunkSize - filled, bytes.count - offset)
            (buffer.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            filled += count
            offset += count
        }
    }

    /// Seals what is left as the final chunk (an empty stream is one empty final chunk).
    public func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "StreamSealer finished twice")
        try seal(last: true, emit: emit)
        finished = true
    }

    private func seal(last: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try cipher.seal(buffer.slice(0, filled), tag: buffer.slice(filled, EncryptedFile.tagSize), nonce: EncryptedFile.nonce(index, last: last))
        try emit(UnsafeRawBufferPointer(buffer.slice(0, filled + EncryptedFile.tagSize)))
        index += 1
        filled = 0
    }
}
