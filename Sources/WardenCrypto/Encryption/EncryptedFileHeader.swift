import WardenCore

/// The header of a Warden encrypted file (docs/encryption.md):
///
/// ```
/// fixed part (28 bytes, bound into the payload key):
///   magic "WRDNENC1" · version 1 · log2(chunk size) · algorithm 1 (AES-256-GCM) · 0 · salt (16)
/// wrap part (changes when the file is re-wrapped):
///   key id length (1) · key id · wrap nonce (12) · wrapped data key (32) · wrap tag (16)
/// ```
///
/// The fixed part is the HKDF info of the payload key, so changing it breaks every chunk; the wrap
/// part is authenticated by the wrapping AES-GCM (with the fixed part and the key id as associated
/// data), so a re-wrap needs only the keyring, never the payload.
public struct EncryptedFileHeader: Sendable, Equatable {
    public static let magic: [UInt8] = Array("WRDNENC1".utf8)
    static let fixedSize = 28
    static let version: UInt8 = 1
    static let algorithmAES256GCM: UInt8 = 1
    /// Chunk sizes a reader accepts: 4 KiB to 16 MiB, so memory stays bounded on hostile input.
    static let chunkSizeLog2Range: ClosedRange<UInt8> = 12...24

    public var chunkSizeLog2: UInt8
    public var salt: [UInt8]
    public var keyID: String
    var wrapNonce: [UInt8]
    var wrappedKey: [UInt8]
    var wrapTag: [UInt8]

    /// Plaintext bytes per chunk.
    public var chunkSize: Int { 1 << Int(chunkSizeLog2) }

    /// The bytes the payload key and the wrap are bound to.
    var fixedBytes: [UInt8] {
        Self.magic + [Self.version, chunkSizeLog2, Self.algorithmAES256GCM, 0] + salt
    }

    /// The serialized header.
    public var bytes: [UInt8] {
        fixedBytes + [UInt8(keyID.utf8.count)] + Array(keyID.utf8) + wrapNonce + wrappedKey + wrapTag
    }

    /// The largest possible header, so a reader can take one bounded read.
    static let maximumSize = fixedSize + 1 + 64 + 12 + 32 + 16

    /// Reads a header from the start of `bytes` (at least the header; more is ignored).
    /// - Returns: the header and its length in bytes.
    public static func parse(_ bytes: [UInt8], source: String) throws(WardenError) -> (header: EncryptedFileHeader, size: Int) {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw .invalidInput("'\(source)' is not a Warden encrypted file (no WRDNENC1 header); was it encrypted with 'warden data encrypt'?")
        }
        func truncated() -> WardenError {
            .invalidInput("'\(source)' has a truncated header; the file is damaged")
        }
        guard bytes.count > fixedSize else { throw truncated() }
        guard bytes[8] == version else {
            throw .unsupported("'\(source)' uses encrypted-file version \(bytes[8]); this Warden reads version \(version) — upgrade Warden")
        }
        guard chunkSizeLog2Range.contains(bytes[9]), bytes[10] == algorithmAES256GCM, bytes[11] == 0 else {
            throw .invalidInput("'\(source)' has an invalid header (chunk size, algorithm or reserved byte); the file is damaged")
        }
        let idLength = Int(bytes[fixedSize])
        let total = fixedSize + 1 + idLength + 12 + 32 + 16
        guard (1...64).contains(idLength) else { throw .invalidInput("'\(source)' has an invalid key id in its header; the file is damaged") }
        guard bytes.count >= total else { throw truncated() }
        var offset = fixedSize + 1
        func take(_ count: Int) -> [UInt8] {
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
        let idBytes = take(idLength)
        guard let keyID = String(validating: idBytes, as: UTF8.self), Keyring.isValidID(keyID) else {
            throw .invalidInput("'\(source)' has an invalid key id in its header; the file is damaged")
        }
        let header = EncryptedFileHeader(
            chunkSizeLog2: bytes[9], salt: Array(bytes[12..<28]), keyID: keyID,
            wrapNonce: take(12), wrappedKey: take(32), wrapTag: take(16)
        )
        return (header, total)
    }
}
