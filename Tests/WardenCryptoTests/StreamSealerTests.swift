import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// Encryption of streams of unknown length (uploads) and piecewise decryption (downloads): the
/// same file format as ``EncryptedFile`` both ways, one chunk of memory, tampering caught.
struct StreamSealerTests {
    static let log2: UInt8 = 12
    static let chunk = 1 << 12

    func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Seals `plain` fed in pieces of random sizes (up to 3 chunks); returns the file and the
    /// largest piece handed to `emit`.
    func seal(_ plain: [UInt8], keyring: Keyring, seed: UInt64) throws -> (file: [UInt8], largestEmit: Int) {
        let sealer = try StreamSealer(keyring: keyring, chunkSizeLog2: Self.log2)
        var file = sealer.header
        var largest = 0
        var rng = SeededGenerator(seed: seed)
        var offset = 0
        func emit(_ piece: UnsafeRawBufferPointer) {
            largest = max(largest, piece.count)
            file += piece
        }
        while offset < plain.count {
            let count = min(plain.count - offset, Int.random(in: 1...(3 * Self.chunk), using: &rng))
            try plain[offset..<offset + count].withUnsafeBytes { try sealer.update($0, emit: emit) }
            offset += count
        }
        try sealer.finish(emit: emit)
        return (file, largest)
    }

    @Test(arguments: [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 40 * chunk + 17])
    func sealedStreamsAreEncryptedFiles(_ size: Int) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let plain = bytes(size, seed: UInt64(size) + 7)
        let (file, largest) = try seal(plain, keyring: keyring, seed: UInt64(size))
        #expect(largest <= Self.chunk + 16, "a sealed piece is at most one chunk and its tag")
        // Same length as EncryptedFile.encrypt's output, and EncryptedFile.decrypt reads it.
        let reference = try EncryptedFile.encrypt(try folder.write("p.bin", plain), to: folder.url("p.wenc"), keyring: keyring, chunkSizeLog2: Self.log2)
        #expect(Int64(file.count) == reference.ciphertextBytes)
        let path = try folder.write("s.wenc", file)
        _ = try EncryptedFile.decrypt(path, to: folder.url("s.out"), keyring: keyring)
        #expect(try FileIO.readAll(folder.url("s.out")) == plain)
        // And the opener reads both, in whole chunks of at most maxBytes.
        for source in [path, folder.url("p.wenc")] {
            let opener = try StreamOpener(path: source, keyring: keyring)
            #expect(opener.plaintextSize == Int64(size))
            var out: [UInt8] = []
            while let piece = try opener.next(maxBytes: 3 * Self.chunk) {
                #expect(piece.count <= 3 * Self.chunk)
                out += piece
            }
            #expect(out == plain)
        }
    }

    @Test func openerRejectsTamperingAndMissingKeys() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let plain = bytes(5 * Self.chunk + 3, seed: 9)
        let (file, _) = try seal(plain, keyring: keyring, seed: 1)
        let headerSize = try EncryptedFile.header(of: try folder.write("h.wenc", file)).bytes.count
        let sealed = Self.chunk + 16
        func readAll(_ bytes: [UInt8]) throws -> [UInt8] {
            let opener = try StreamOpener(path: try folder.write("t.wenc", bytes), keyring: keyring)
            var out: [UInt8] = []
            while let piece = try opener.next(maxBytes: Self.chunk) { out += piece }
            return out
        }
        var flipped = file
        flipped[headerSize + 3 * sealed + 10] ^= 1
        var swapped = file
        swapped.replaceSubrange(headerSize..<headerSize + sealed, with: file[headerSize + sealed..<headerSize + 2 * sealed])
        swapped.replaceSubrange(headerSize + sealed..<headerSize + 2 * sealed, with: file[headerSize..<headerSize + sealed])
        let cut = Array(file.prefix(headerSize + 2 * sealed))
        var wrap = file
        wrap[headerSize - 20] ^= 1
        let short = Array(file.prefix(headerSize + 5))
        for (name, bytes) in [("flipped bit", flipped), ("swapped chunks", swapped), ("cut at a chunk boundary", cut), ("changed wrap", wrap), ("cut in a tag", short)] {
            #expect(throws: EncryptedFile.AuthenticationFailure.self, "\(name)") { try readAll(bytes) }
        }
        let other = try Keyring.create(at: folder.url("other"))
        let error = #expect(throws: WardenError.self) { try StreamOpener(path: try folder.write("o.wenc", file), keyring: other) }
        #expect(error?.code == .notFound && error?.message.contains(keyring.currentID) == true)
    }
}
