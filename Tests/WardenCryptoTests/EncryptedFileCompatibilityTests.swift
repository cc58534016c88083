import Crypto
import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// Files written by earlier Warden versions still decrypt, and the in-place chunk cipher writes
/// exactly the bytes swift-crypto's public AES-GCM writes (the format has one definition).
struct EncryptedFileCompatibilityTests {
    /// `Fixtures/encrypted-v1/` (made by commit 2a815a9; see the README there).
    static func fixture(_ name: String) -> String { OMSFixtures.fixturesRoot + "/encrypted-v1/" + name }

    /// The plaintext of `plain.bin.wenc`: byte i is (31·i + 7) mod 251, 66 536 bytes (two chunks).
    static let plain: [UInt8] = (0..<66_536).map { UInt8((31 * $0 + 7) % 251) }

    @Test func filesOfFormatVersionOneStillDecrypt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.open(Self.fixture("keyring"))
        let summary = try EncryptedFile.decrypt(Self.fixture("plain.bin.wenc"), to: folder.url("plain.bin"), keyring: keyring, digest: true)
        #expect(try FileIO.readAll(folder.url("plain.bin")) == Self.plain)
        #expect(summary.chunks == 2 && summary.keyID == "k1-75e70014")
        #expect(summary.plaintextDigest == WardenCore.Digest.sha256(Self.plain))
        // Re-wrapped to the second key by `warden keys rewrap`.
        let empty = try EncryptedFile.decrypt(Self.fixture("empty.bin.wenc"), to: folder.url("empty.bin"), keyring: keyring)
        #expect(empty.keyID == "k2-6c8cd768" && empty.plaintextBytes == 0)
        #expect(try FileIO.readAll(folder.url("empty.bin")).isEmpty)
    }

    @Test func theInPlaceCipherMatchesSwiftCryptoAESGCM() throws {
        let key = SymmetricKey(data: (0..<32).map { UInt8($0 * 7 & 0xff) })
        let cipher = try ChunkCipher(key: key)
        var rng = SeededGenerator(seed: 5)
        for length in [0, 1, 15, 16, 17, 4096, 65_536, 65_537] {
            let plain = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let nonce = EncryptedFile.nonce(Int64(length), last: length % 2 == 0)
            let box = try AES.GCM.seal(plain, using: key, nonce: try AES.GCM.Nonce(data: nonce))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length + 16, alignment: 16)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: plain)
            let chunk = buffer.slice(0, length)
            try cipher.seal(chunk, tag: buffer.slice(length, 16), nonce: nonce)
            #expect(Array(buffer) == Array(box.ciphertext) + Array(box.tag), "length \(length)")
            #expect(cipher.open(chunk, tag: UnsafeRawBufferPointer(buffer.slice(length, 16)), nonce: nonce))
            #expect(Array(chunk) == plain)
            // Any other nonce, or a changed tag, fails and leaves no plaintext behind.
            try cipher.seal(chunk, tag: buffer.slice(length, 16), nonce: nonce)
            buffer[length] ^= 1
            #expect(!cipher.open(chunk, tag: UnsafeRawBufferPointer(buffer.slice(length, 16)), nonce: nonce))
            #expect(length == 0 || chunk.allSatisfy { $0 == 0 })
        }
    }

    @Test func theDigestOptionHashesThePlaintextInTheSamePass() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        for size in [0, 4095, 4096, 33 * 4096 + 5] {
            let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            let input = try folder.write("p\(size)", plain)
            let sealed = try EncryptedFile.encrypt(input, to: input + ".wenc", keyring: keyring, chunkSizeLog2: 12, digest: true)
            #expect(sealed.plaintextDigest == WardenCore.Digest.sha256(plain), "size \(size)")
            let opened = try EncryptedFile.decrypt(input + ".wenc", to: input + ".out", keyring: keyring, digest: true)
            #expect(opened.plaintextDigest == WardenCore.Digest.sha256(plain), "size \(size)")
            #expect(try FileIO.readAll(input + ".out") == plain)
            #expect(try EncryptedFile.encrypt(input, to: input + ".2", keyring: keyring).plaintextDigest == nil)
        }
    }
}
