import Crypto

extension Digest {
    /// The SHA-256 digest of bytes in memory.
    public static func sha256(_ bytes: some DataProtocolBytes) -> Digest {
        // Safe: SHA-256 always yields 32 bytes.
        try! Digest(bytes: bytes.withBytes { Array(SHA256.hash(data: $0)) })
    }

    /// The SHA-256 digest of a file, read in chunks (never loaded whole).
    public static func sha256(ofFile path: String) throws -> Digest {
        var hasher = SHA256()
        try FileIO.forEachChunk(of: path) { hasher.update(bufferPointer: $0) }
        return try Digest(bytes: Array(hasher.finalize()))
    }
}

/// Byte containers that can be hashed without copying.
public protocol DataProtocolBytes {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: DataProtocolBytes where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension String: DataProtocolBytes {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Array(utf8).withUnsafeBytes(body)
    }
}
