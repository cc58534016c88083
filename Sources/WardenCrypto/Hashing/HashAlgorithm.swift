import Crypto
import WardenCore

/// A hash function that consumes bytes in pieces.
package protocol StreamingHasher {
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest; the hasher must not be used afterwards.
    mutating func finish() -> [UInt8]
}

/// The digest algorithms that OpenSSF model signatures use for files and shards.
public enum HashAlgorithm: String, Sendable, CaseIterable, Codable {
    /// SHA-256 (FIPS 180-4), the default.
    case sha256
    /// BLAKE2b with a 64-byte digest, as Python's `hashlib.blake2b()` computes.
    case blake2b
    /// BLAKE3 with a 32-byte digest.
    case blake3

    /// The name model-signing writes in `algorithm` and `hash_type`.
    public var omsName: String { rawValue }

    /// Parses the names model-signing and its API accept (`blake2` is the API's name for BLAKE2b).
    public init?(omsName: String) {
        switch omsName {
        case "sha256": self = .sha256
        case "blake2b", "blake2": self = .blake2b
        case "blake3": self = .blake3
        default: return nil
        }
    }

    package func makeHasher() -> any StreamingHasher {
        switch self {
        case .sha256: SHA256Hasher()
        case .blake2b: BLAKE2bHasher()
        case .blake3: BLAKE3Hasher()
        }
    }

    /// Hashes bytes in memory.
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = makeHasher()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    /// Hashes `range` of the file at `path` (the whole file when nil), streaming.
    public func hashFile(_ path: String, range: Range<Int64>? = nil) throws -> [UInt8] {
        var hasher = makeHasher()
        try FileIO.forEachChunk(of: path, range: range) { hasher.update($0) }
        return hasher.finish()
    }
}

struct SHA256Hasher: StreamingHasher {
    var inner = SHA256()
    mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bufferPointer: bytes) }
    mutating func finish() -> [UInt8] { Array(inner.finalize()) }
}

struct BLAKE2bHasher: StreamingHasher {
    var inner = BLAKE2b()
    mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bytes) }
    mutating func finish() -> [UInt8] { inner.finalize() }
}

struct BLAKE3Hasher: StreamingHasher {
    var inner = BLAKE3()
    mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bytes) }
    mutating func finish() -> [UInt8] { inner.finalize() }
}
