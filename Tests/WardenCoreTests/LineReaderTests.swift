import Testing
import WardenCore
import WardenTesting

struct LineReaderTests {
    @Test(arguments: [
        ("", [String]()),
        ("a", ["a"]),
        ("a\n", ["a"]),
        ("a\nb", ["a", "b"]),
        ("a\n\nb\n", ["a", "", "b"]),
        ("crlf\r\nnext", ["crlf\r", "next"]),
    ])
    func splitsLines(_ text: String, _ expected: [String]) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("f.txt", text)
        var lines: [String] = []
        var numbers: [Int] = []
        try FileIO.forEachLine(of: path) { line, number in
            lines.append(String(decoding: line, as: UTF8.self))
            numbers.append(number)
        }
        #expect(lines == expected)
        #expect(numbers == Array(0..<expected.count).map { $0 + 1 })
    }

    /// Lines that straddle the 1 MiB read chunks come back whole.
    @Test func linesAcrossChunksAreWhole() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let line = String(repeating: "x", count: 300_000)
        let path = try folder.write("long.txt", Array(repeating: line, count: 10).joined(separator: "\n"))
        var count = 0
        try FileIO.forEachLine(of: path) { bytes, _ in
            #expect(bytes.count == 300_000)
            count += 1
        }
        #expect(count == 10)
    }

    @Test func anOverlongLineIsAnError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("blob.bin", [UInt8](repeating: 65, count: 5000))
        #expect(throws: WardenError.self) { try FileIO.forEachLine(of: path, maxLineLength: 1000) { _, _ in } }
    }
}
