import Testing
import WardenCore
import WardenTesting

/// The read-ahead reader must deliver exactly the bytes the plain reader does, in order, for any
/// range and chunk size, and fail the same way on a file shorter than the range.
struct ReadAheadTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var size: Int
        var range: Range<Int64>?
        var chunkSize: Int
        var slots: Int
        var testDescription: String { "size \(size) range \(range.map { "\($0)" } ?? "all") chunk \(chunkSize) slots \(slots)" }
    }

    static let cases: [Case] = [
        Case(size: 0, range: nil, chunkSize: 16, slots: 2),
        Case(size: 1, range: nil, chunkSize: 16, slots: 2),
        Case(size: 1000, range: nil, chunkSize: 7, slots: 2),
        Case(size: 1000, range: nil, chunkSize: 1000, slots: 3),
        Case(size: 1000, range: nil, chunkSize: 4096, slots: 4),
        Case(size: 100_003, range: 17..<90_001, chunkSize: 1024, slots: 4),
        Case(size: 100_003, range: 0..<0, chunkSize: 1024, slots: 2),
        Case(size: 100_003, range: 99_000..<100_003, chunkSize: 333, slots: 5),
    ]

    @Test(arguments: cases)
    func deliversTheSameBytesAsThePlainReader(_ c: Case) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var generator = SeededGenerator(seed: UInt64(c.size))
        let path = try folder.write("data.bin", generator.bytes(c.size))
        var plain: [UInt8] = []
        try FileIO.forEachChunk(of: path, range: c.range, chunkSize: c.chunkSize) { plain += $0 }
        var ahead: [UInt8] = []
        var chunks = 0
        try FileIO.forEachChunkReadingAhead(of: path, range: c.range, chunkSize: c.chunkSize, slots: c.slots) {
            #expect($0.count <= c.chunkSize)
            ahead += $0
            chunks += 1
        }
        #expect(ahead == plain)
        let expectedCount = c.range.map { Int($0.count) } ?? c.size
        #expect(ahead.count == expectedCount)
        #expect(chunks == (expectedCount + c.chunkSize - 1) / c.chunkSize)
    }

    @Test func aRangePastTheEndIsAnError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("short.bin", [UInt8](repeating: 1, count: 100))
        #expect(throws: WardenError.self) {
            try FileIO.forEachChunkReadingAhead(of: path, range: 0..<200, chunkSize: 32) { _ in }
        }
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: WardenError.self) {
            try FileIO.forEachChunkReadingAhead(of: "/nonexistent/warden/file") { _ in }
        }
    }

    struct Stop: Error {}

    /// The consumer's error stops the reader and comes back unchanged; nothing hangs.
    @Test func theConsumersErrorStopsTheReader() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("data.bin", [UInt8](repeating: 7, count: 10_000))
        var seen = 0
        #expect(throws: Stop.self) {
            try FileIO.forEachChunkReadingAhead(of: path, chunkSize: 100, slots: 2) { _ in
                seen += 1
                if seen == 3 { throw Stop() }
            }
        }
        #expect(seen == 3)
    }
}
