import Crypto
import WardenCore

#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif

/// AES-256-GCM over one chunk, in place: the ciphertext overwrites the plaintext (and back), the
/// 16-byte tag goes to its own buffer. One key schedule serves every chunk of a file and every
/// thread at once.
///
/// swift-crypto's `AES.GCM.seal` returns a fresh `SealedBox` (nonce ‖ ciphertext ‖ tag) and `open` a
/// fresh `Data`; moving each chunk in and out of those cost more cycles than AES-GCM itself (see
/// docs/BENCHMARKS.md). Where swift-crypto's BoringSSL is visible (Linux), this calls its
/// `EVP_AEAD_CTX_seal_scatter`/`open_gather` on our buffers directly — the same functions
/// `AES.GCM` calls. Elsewhere (Apple platforms, where swift-crypto is CryptoKit) it falls back to
/// the public API and copies. The two produce identical bytes (tested).
final class ChunkCipher: @unchecked Sendable {
    // The BoringSSL context is immutable after creation and documented as safe for concurrent
    // seal/open calls; the fallback key is immutable.
    static let tagSize = 16

    #if canImport(CCryptoBoringSSL)
    private let context: UnsafeMutablePointer<EVP_AEAD_CTX>

    /// - Parameter key: 32 bytes.
    init(key: SymmetricKey) throws {
        guard key.bitCount == 256 else { throw WardenError.internalError("ChunkCipher needs a 256-bit key") }
        let context = key.withUnsafeBytes { raw in
            CCryptoBoringSSL_EVP_AEAD_CTX_new(
                CCryptoBoringSSL_EVP_aead_aes_256_gcm(), raw.bindMemory(to: UInt8.self).baseAddress, raw.count, Self.tagSize)
        }
        guard let context else { throw WardenError.internalError("BoringSSL could not set up AES-256-GCM") }
        self.context = context
    }

    deinit { CCryptoBoringSSL_EVP_AEAD_CTX_free(context) }

    /// Encrypts `chunk` in place and writes its tag to `tag` (16 bytes).
    func seal(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer, nonce: [UInt8]) throws {
        precondition(tag.count == Self.tagSize)
        var tagLength = 0
        let data = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let ok = nonce.withUnsafeBufferPointer { nonce in
            CCryptoBoringSSL_EVP_AEAD_CTX_seal_scatter(
                context, data, tag.baseAddress!.assumingMemoryBound(to: UInt8.self), &tagLength, Self.tagSize,
                nonce.baseAddress, nonce.count, data, chunk.count, nil, 0, nil, 0)
        }
        guard ok == 1, tagLength == Self.tagSize else { throw WardenError.internalError("AES-256-GCM sealing failed") }
    }

    /// Decrypts `chunk` in place if `tag` authenticates it; returns false (and zeroes `chunk`) if not.
    func open(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer, nonce: [UInt8]) -> Bool {
        let data = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let ok = nonce.withUnsafeBufferPointer { nonce in
            CCryptoBoringSSL_EVP_AEAD_CTX_open_gather(
                context, data, nonce.baseAddress, nonce.count, data, chunk.count,
                tag.baseAddress!.assumingMemoryBound(to: UInt8.self), tag.count, nil, 0)
        }
        return ok == 1
    }
    #else
    private let key: SymmetricKey

    init(key: SymmetricKey) throws {
        guard key.bitCount == 256 else { throw WardenError.internalError("ChunkCipher needs a 256-bit key") }
        self.key = key
    }

    func seal(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer, nonce: [UInt8]) throws {
        let box = try AES.GCM.seal(UnsafeRawBufferPointer(chunk), using: key, nonce: try AES.GCM.Nonce(data: nonce))
        box.ciphertext.copyBytes(to: chunk)
        box.tag.copyBytes(to: tag)
    }

    func open(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer, nonce: [UInt8]) -> Bool {
        guard let box = try? AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: UnsafeRawBufferPointer(chunk), tag: tag),
            let plain = try? AES.GCM.open(box, using: key)
        else {
            chunk.initializeMemory(as: UInt8.self, repeating: 0)
            return false
        }
        plain.copyBytes(to: chunk)
        return true
    }
    #endif
}
