import Foundation
import Testing
import WardenCore
import WardenTesting

struct DigestTests {
    /// FIPS 180-4 / NIST examples.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownAnswers(_ text: String, _ hex: String) throws {
        #expect(Digest.sha256(text).hex == hex)
        #expect(Digest.sha256(Array(text.utf8)).description == "sha256:" + hex)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(try Digest.sha256(ofFile: try folder.write("f", text)).hex == hex)
    }

    /// A million 'a's: the file is streamed across chunk boundaries.
    @Test func streamedFileEqualsInMemory() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let path = try folder.write("a", million)
        #expect(try Digest.sha256(ofFile: path).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var rng = SeededGenerator(seed: 1)
        let random = rng.bytes(FileIO.defaultChunkSize * 2 + 1)
        #expect(try Digest.sha256(ofFile: try folder.write("r", random)) == Digest.sha256(random))
    }

    @Test func parsing() throws {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let digest = try Digest(parsing: "sha256:" + hex)
        #expect(try Digest(parsing: hex) == digest)
        #expect(try Digest(parsing: "sha256:" + hex.uppercased()) == digest)
        #expect(try Digest(parsing: hex.uppercased()).description == "sha256:" + hex)
        #expect(digest.bytes.count == 32)
        #expect(try Digest(bytes: digest.bytes) == digest)
    }

    @Test(arguments: [
        "", "sha256:", "sha256:abc", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
        "sha512:" + String(repeating: "a", count: 64), "SHA256:" + String(repeating: "a", count: 64),
        "sha256:" + String(repeating: "g", count: 64), "sha256: " + String(repeating: "a", count: 63),
        String(repeating: "é", count: 32),
    ])
    func rejectsMalformedDigests(_ text: String) {
        #expect(throws: WardenError.invalidInput("")) { try Digest(parsing: text) }
    }

    @Test(arguments: [0, 31, 33, 64])
    func rejectsWrongLengths(_ count: Int) {
        #expect(throws: WardenError.invalidInput("")) { try Digest(bytes: [UInt8](repeating: 0, count: count)) }
    }

    @Test func codableAsPrefixedHex() throws {
        let digest = Digest.sha256("abc")
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(digest.description)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:00"]"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Digest].self, from: Data("[1]".utf8)) }
    }

    @Test func orderIsByBytes() throws {
        let low = try Digest(bytes: [0x00] + [UInt8](repeating: 0xff, count: 31))
        let high = try Digest(bytes: [0x01] + [UInt8](repeating: 0x00, count: 31))
        #expect(low < high)
        #expect(!(high < low))
        #expect([high, low].sorted() == [low, high])
    }

    @Test func parallelHashingEqualsSerial() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 9)
        let paths = try [0, 1, 4096, 70_000, 3, 1 << 20].enumerated().map { n, size in
            try folder.write("f\(n)", rng.bytes(size))
        }
        let serial = try paths.map { try Digest.sha256(ofFile: $0) }
        #expect(try ParallelHashing.sha256(paths, concurrency: 4) == serial)
        #expect(try ParallelHashing.sha256(paths, concurrency: 1) == serial)
        #expect(try ParallelHashing.sha256(Array(paths.prefix(1)), concurrency: 8) == Array(serial.prefix(1)))
        #expect(try ParallelHashing.sha256([], concurrency: 2) == [])
        #expect(throws: WardenError.io("")) { try ParallelHashing.sha256(paths + [folder.url("none")], concurrency: 2) }
    }

    @Test func errorDescriptionIsOneLineAndDetailedDescriptionShowsCauses() {
        let inner = WardenError.io("Cannot read 'x'")
        let outer = WardenError.invalidInput("Bad key 'k'", cause: inner)
        #expect(outer.description == "Invalid input: Bad key 'k'")
        #expect(outer == WardenError.invalidInput("other words"))
        #expect(outer != WardenError.io("Bad key 'k'"))
        let lines = outer.detailedDescription().split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix("  I/O error: Cannot read 'x'"))
        #expect(outer.location.fileID.hasSuffix("DigestTests.swift"))
    }
}
