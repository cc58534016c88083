import Testing
import WardenCore
import WardenFormats
import WardenTesting

/// A file source gives the same bytes whether the file is read whole when opened (small) or by
/// ranges on demand (large), with ranges clamped to the file.
@Suite struct FileSourceTests {
    static let limit = Int(FileSource.wholeReadLimit)

    @Test(arguments: [0, 1, 4097, limit - 1, limit, limit + 1, 3 * limit + 17])
    func rangesReadTheFileBytes(size: Int) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var generator = SeededGenerator(seed: UInt64(size))
        let bytes = generator.bytes(size)
        let source = try FileSource(path: folder.write("f.bin", bytes))
        #expect(source.count == Int64(size))
        let n = Int64(size)
        let ranges: [Range<Int64>] = [0..<n, 0..<0, 0..<min(n, 30), max(0, n - 7)..<n, n / 3..<n / 2, -5..<3, n - 2..<n + 100, n + 5..<n + 9]
        for range in ranges {
            let lower = Int(max(0, min(range.lowerBound, n))), upper = max(lower, Int(max(0, min(range.upperBound, n))))
            #expect(try source.read(range) == Array(bytes[lower..<upper]), "range \(range) of \(size) bytes")
        }
    }

    @Test func refusesFoldersAndMissingFiles() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.self) { try FileSource(path: folder.path) }
        #expect(throws: WardenError.self) { try FileSource(path: folder.url("missing")) }
    }
}
