import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

/// Streaming encryption: round trips at every chunk and batch boundary, and every kind of tampering
/// (header, payload, truncation, reordering, splicing, appending, wrong key) fails with nothing written.
struct EncryptedFileTests {
    /// 4 KiB chunks, so batch boundaries (32 chunks) are reached with small files.
    static let log2: UInt8 = 12
    static let chunk = 1 << 12

    func bytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    func encrypted(_ plain: [UInt8], in folder: TemporaryDirectory, keyring: Keyring) throws -> String {
        let input = try folder.write("plain.bin", plain)
        let output = folder.url("plain.bin.wenc")
        _ = try EncryptedFile.encrypt(input, to: output, keyring: keyring, chunkSizeLog2: Self.log2)
        return output
    }

    func decrypt(_ path: String, folder: TemporaryDirectory, keyring: Keyring) throws -> [UInt8] {
        let output = folder.url("out.bin")
        _ = try EncryptedFile.decrypt(path, to: output, keyring: keyring)
        return try FileIO.readAll(output)
    }

    func expectAuthenticationFailure(_ path: String, folder: TemporaryDirectory, keyring: Keyring, _ comment: Comment) {
        let output = folder.url("never.bin")
        #expect(throws: EncryptedFile.AuthenticationFailure.self, comment) {
            try EncryptedFile.decrypt(path, to: output, keyring: keyring)
        }
        #expect(FileIO.kind(of: output) == .missing, "unauthenticated plaintext was written: \(comment)")
    }

    @Test(arguments: [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 32 * chunk - 1, 32 * chunk, 32 * chunk + 1, 70 * chunk + 17])
    func roundTripsEverySize(_ size: Int) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let plain = bytes(size, seed: UInt64(size))
        let path = try encrypted(plain, in: folder, keyring: keyring)
        let header = try EncryptedFile.header(of: path)
        let chunks = max(1, (size + Self.chunk - 1) / Self.chunk)
        #expect(try FileIO.size(of: path) == Int64(header.bytes.count + size + 16 * chunks))
        #expect(try decrypt(path, folder: folder, keyring: keyring) == plain)
    }

    /// 64 KiB (the default), and 1 MiB chunks, which come two to a batch.
    @Test(arguments: [UInt8(16), 20])
    func roundTripsOtherChunkSizes(_ log2: UInt8) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let size = 3 << Int(log2) + 5  // three full chunks and a short one: two batches at 2^20
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 >> 5 ^ $0 &* 7) }
        let input = try folder.write("p", plain)
        let summary = try EncryptedFile.encrypt(input, to: folder.url("p.wenc"), keyring: keyring, chunkSizeLog2: log2)
        #expect(summary.chunks == 4)
        #expect(try EncryptedFile.header(of: folder.url("p.wenc")).chunkSize == 1 << Int(log2))
        #expect(try decrypt(folder.url("p.wenc"), folder: folder, keyring: keyring) == plain)
    }

    @Test func sameInputEncryptsDifferentlyEachTime() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let input = try folder.write("p", bytes(1000))
        _ = try EncryptedFile.encrypt(input, to: folder.url("a"), keyring: keyring)
        _ = try EncryptedFile.encrypt(input, to: folder.url("b"), keyring: keyring)
        #expect(try FileIO.readAll(folder.url("a")) != FileIO.readAll(folder.url("b")))
    }

    @Test func everyFlippedBitIsDetected() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let path = try encrypted(bytes(3 * Self.chunk + 100), in: folder, keyring: keyring)
        let original = try FileIO.readAll(path)
        let headerSize = try EncryptedFile.header(of: path).bytes.count
        // Every header byte, then a spread of payload bytes (each chunk's body and tag).
        let positions = Array(0..<headerSize) + stride(from: headerSize, to: original.count, by: 97)
        for position in positions {
            var copy = original
            copy[position] ^= 0x04
            let tampered = try folder.write("tampered", copy)
            let output = folder.url("never.bin")
            #expect(throws: (any Error).self, "byte \(position)") { try EncryptedFile.decrypt(tampered, to: output, keyring: keyring) }
            #expect(FileIO.kind(of: output) == .missing)
        }
    }

    @Test func truncationReorderingSplicingAndAppendingFail() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let path = try encrypted(bytes(4 * Self.chunk + 10), in: folder, keyring: keyring)
        let original = try FileIO.readAll(path)
        let header = try EncryptedFile.header(of: path).bytes.count
        let sealed = Self.chunk + 16
        func chunk(_ i: Int, of data: [UInt8]) -> [UInt8] {
            Array(data[header + i * sealed..<min(data.count, header + (i + 1) * sealed)])
        }
        let head = Array(original[0..<header])
        // Truncated at every chunk boundary and mid-chunk.
        for cut in [header, header + sealed, header + 2 * sealed, header + 4 * sealed, original.count - 1, header + 5] {
            let file = try folder.write("cut", Array(original[0..<cut]))
            expectAuthenticationFailure(file, folder: folder, keyring: keyring, "cut at \(cut)")
        }
        // Two chunks swapped.
        let swapped = head + chunk(1, of: original) + chunk(0, of: original) + (2...4).flatMap { chunk($0, of: original) }
        expectAuthenticationFailure(try folder.write("swapped", swapped), folder: folder, keyring: keyring, "swapped")
        // A chunk repeated, and a chunk appended after the final one.
        let repeated = head + chunk(0, of: original) + chunk(0, of: original) + (2...4).flatMap { chunk($0, of: original) }
        expectAuthenticationFailure(try folder.write("repeated", repeated), folder: folder, keyring: keyring, "repeated")
        let appended = original + chunk(1, of: original)
        expectAuthenticationFailure(try folder.write("appended", appended), folder: folder, keyring: keyring, "appended")
        // A chunk spliced in from another file encrypted with the same keyring.
        let other = try FileIO.readAll(try encrypted(bytes(4 * Self.chunk + 10, seed: 9), in: folder, keyring: keyring))
        let spliced = head + chunk(0, of: original) + chunk(1, of: other) + (2...4).flatMap { chunk($0, of: original) }
        expectAuthenticationFailure(try folder.write("spliced", spliced), folder: folder, keyring: keyring, "spliced")
    }

    @Test func failedDecryptionLeavesAnExistingOutputUntouched() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let path = try encrypted(bytes(10_000), in: folder, keyring: keyring)
        var copy = try FileIO.readAll(path)
        copy[copy.count - 1] ^= 1
        let tampered = try folder.write("t", copy)
        let output = try folder.write("existing.txt", "keep me")
        #expect(throws: EncryptedFile.AuthenticationFailure.self) { try EncryptedFile.decrypt(tampered, to: output, keyring: keyring) }
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aDifferentKeyringCannotDecrypt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let path = try encrypted(bytes(5000), in: folder, keyring: keyring)
        // Another keyring: its key has a different id.
        let stranger = try Keyring.create(at: folder.url("other"))
        #expect(throws: WardenError.notFound("")) { try EncryptedFile.decrypt(path, to: folder.url("o"), keyring: stranger) }
        // Same id, different material (a keyring restored from the wrong backup).
        var forged = try String(contentsOfFile: folder.url("other/keyring.json"), encoding: .utf8)
        forged = forged.replacingOccurrences(of: stranger.currentID, with: keyring.currentID)
        try FileIO.writeAtomically(forged, to: folder.url("other/keyring.json"))
        expectAuthenticationFailure(path, folder: folder, keyring: try Keyring.open(folder.url("other")), "same id, other key")
    }

    @Test func rotationRewrapsWithoutTouchingThePayload() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var keyring = try Keyring.create(at: folder.url("keys"))
        let plain = bytes(40 * Self.chunk + 3)
        let path = try encrypted(plain, in: folder, keyring: keyring)
        let before = try FileIO.readAll(path)
        let oldHeader = try EncryptedFile.header(of: path)
        let oldID = keyring.currentID
        let newID = try keyring.rotate()
        #expect(newID != oldID)
        #expect(try Keyring.open(folder.url("keys")).currentID == newID)
        #expect(try EncryptedFile.rewrap(path, keyring: keyring))
        #expect(try EncryptedFile.rewrap(path, keyring: keyring) == false)
        let after = try FileIO.readAll(path)
        let newHeader = try EncryptedFile.header(of: path)
        #expect(newHeader.keyID == newID)
        #expect(Array(after[newHeader.bytes.count...]) == Array(before[oldHeader.bytes.count...]))
        // Decrypts with the new key alone: drop the old key from a copy of the keyring.
        let json = try JSONParser().parse(try FileIO.readAll(folder.url("keys/keyring.json")))
        let kept = json["keys"]!.arrayValue!.filter { $0["id"]?.stringValue == newID }
        let onlyNew: JSONValue = ["format": json["format"]!, "current": .string(newID), "keys": .array(kept)]
        try FileIO.makeDirectory(folder.url("new-only"))
        try FileIO.writeAtomically(onlyNew.prettyString(), to: folder.url("new-only/keyring.json"))
        #expect(try decrypt(path, folder: folder, keyring: try Keyring.open(folder.url("new-only"))) == plain)
    }

    @Test func keyringIsPrivateAndRejectsDamage() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        var info = stat()
        #expect(stat(folder.url("keys/keyring.json"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(folder.url("keys"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(throws: WardenError.invalidInput("")) { try Keyring.create(at: folder.url("keys")) }
        #expect(throws: WardenError.notFound("")) { try Keyring.open(folder.url("none")) }
        let text = try String(contentsOfFile: folder.url("keys/keyring.json"), encoding: .utf8)
        let damaged = [
            "{", "[]", #"{"format":"warden-keyring/v1","current":"k1","keys":[]}"#,
            text.replacingOccurrences(of: "\"current\": \"\(keyring.currentID)\"", with: "\"current\": \"zz\""),
            text.replacingOccurrences(of: "\"key\": \"", with: "\"key\": \"AAAA"),
            text.replacingOccurrences(of: "warden-keyring/v1", with: "warden-keyring/v9"),
        ]
        for (index, body) in damaged.enumerated() {
            try FileIO.makeDirectory(folder.url("bad\(index)"))
            try FileIO.writeAtomically(body, to: folder.url("bad\(index)/keyring.json"))
            #expect(throws: WardenError.self, "case \(index)") { try Keyring.open(folder.url("bad\(index)")) }
        }
        // Neither errors nor descriptions carry key material.
        let material = keyring.current.material
        for text in ["\(keyring)", "\(keyring.current)", String(reflecting: keyring), String(reflecting: keyring.current)] {
            #expect(!text.contains(Data(material).base64EncodedString()))
            #expect(!text.contains(material.map(String.init).joined(separator: ", ")))
            #expect(!text.contains(Hex.encode(material)))
        }
    }

    @Test func headerParserSurvivesHostileBytes() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let path = try encrypted(bytes(100), in: folder, keyring: keyring)
        let header = try FileIO.readAll(path)
        let outcome = ParserVerifier.verify(header, flips: 500) { _ = try EncryptedFileHeader.parse($0, source: "fuzz") }
        #expect(outcome.rejected > 0)
        #expect(outcome.parsed > 0)
    }

    @Test func refusesNonFilesAndPlainInput() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keys"))
        let plain = try folder.write("plain.txt", "hello")
        #expect(throws: WardenError.invalidInput("")) { try EncryptedFile.decrypt(plain, to: folder.url("o"), keyring: keyring) }
        #expect(throws: WardenError.invalidInput("")) { try EncryptedFile.encrypt(folder.path, to: folder.url("o"), keyring: keyring) }
        #expect(throws: WardenError.io("")) { try EncryptedFile.encrypt(folder.url("missing"), to: folder.url("o"), keyring: keyring) }
        #expect(throws: WardenError.invalidInput("")) {
            try EncryptedFile.encrypt(plain, to: folder.url("o"), keyring: keyring, chunkSizeLog2: 30)
        }
    }
}
