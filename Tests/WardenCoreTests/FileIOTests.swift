import Dispatch
import Foundation
import Testing
import WardenCore
import WardenTesting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct FileIOTests {
    // MARK: writeAtomically

    @Test func atomicWriteCreatesAndReplacesWithTheRequestedMode() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url("secret.pem")
        try FileIO.writeAtomically("first", to: path, mode: 0o600)
        #expect(try FileIO.readAll(path) == Array("first".utf8))
        #expect(try Self.mode(of: path) == 0o600)
        try FileIO.writeAtomically([UInt8](repeating: 7, count: 100_000), to: path, mode: 0o640)
        #expect(try FileIO.readAll(path) == [UInt8](repeating: 7, count: 100_000))
        #expect(try Self.mode(of: path) == 0o640)
        try FileIO.writeAtomically("", to: path)
        #expect(try FileIO.readAll(path) == [])
        #expect(try Self.mode(of: path) == 0o644)
        #expect(try Self.listing(folder.path) == ["secret.pem"])
    }

    @Test func failedAtomicWriteLeavesNoTemporaryFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // The target is a folder: rename fails after the temp file was written.
        try FileIO.makeDirectory(folder.url("target"))
        #expect(throws: WardenError.io("")) { try FileIO.writeAtomically("data", to: folder.url("target")) }
        #expect(try Self.listing(folder.path) == ["target"])
        #expect(try Self.listing(folder.url("target")) == [])
        // The parent folder does not exist: nothing can be created.
        #expect(throws: WardenError.io("")) { try FileIO.writeAtomically("data", to: folder.url("missing/file")) }
        #expect(try Self.listing(folder.path) == ["target"])
    }

    @Test func atomicWriteDoesNotFollowTheOldFileIntoPlace() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let real = try folder.write("real.txt", "keep")
        #expect(symlink(real, folder.url("link.txt")) == 0)
        try FileIO.writeAtomically("new", to: folder.url("link.txt"))
        // The link itself is replaced; its old target is untouched.
        #expect(try FileIO.readAll(real) == Array("keep".utf8))
        #expect(FileIO.kind(of: folder.url("link.txt")) == .regular)
    }

    @Test func atomicWriteToADeviceWritesIntoItInsteadOfReplacingIt() throws {
        try FileIO.writeAtomically("discarded\n", to: "/dev/null")
        #expect(FileIO.kind(of: "/dev/null") == .special)
    }

    @Test func atomicWriteToAFIFOStreamsIntoIt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let fifo = folder.url("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let box = BytesBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            let fd = open(fifo, O_RDONLY)
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while case let n = buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress!, 4096) }), n > 0 {
                    box.bytes += buffer[0..<n]
                }
                close(fd)
            }
            done.signal()
        }.start()
        try FileIO.writeAtomically("through the pipe", to: fifo)
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("nothing was written into the FIFO")
            return
        }
        #expect(box.bytes == Array("through the pipe".utf8))
        #expect(FileIO.kind(of: fifo) == .special)
        #expect(try Self.listing(folder.path) == ["pipe"])
    }

    // MARK: forEachChunk

    struct ChunkCase: Sendable, CustomTestStringConvertible {
        var size: Int
        var range: Range<Int64>?
        var chunkSize: Int
        var testDescription: String { "size \(size) range \(range.map { "\($0)" } ?? "all") chunk \(chunkSize)" }
    }

    static let chunkCases: [ChunkCase] = [
        ChunkCase(size: 0, range: nil, chunkSize: 8),
        ChunkCase(size: 1, range: nil, chunkSize: 8),
        ChunkCase(size: 64, range: nil, chunkSize: 8),
        ChunkCase(size: 65, range: nil, chunkSize: 8),
        ChunkCase(size: 10_000, range: nil, chunkSize: 4096),
        ChunkCase(size: 10_000, range: 0..<10_000, chunkSize: 3),
        ChunkCase(size: 10_000, range: 1..<2, chunkSize: 4096),
        ChunkCase(size: 10_000, range: 4095..<4097, chunkSize: 4096),
        ChunkCase(size: 10_000, range: 5000..<5000, chunkSize: 4096),
        ChunkCase(size: 10_000, range: 9_000..<10_000, chunkSize: 333),
        ChunkCase(size: 3 << 20, range: nil, chunkSize: FileIO.defaultChunkSize),
        ChunkCase(size: (1 << 20) + 1, range: 1..<((1 << 20) + 1), chunkSize: FileIO.defaultChunkSize),
    ]

    @Test(arguments: chunkCases)
    func chunksOfARangeEqualTheSameBytesReadWhole(_ c: ChunkCase) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: UInt64(c.size) &+ UInt64(c.chunkSize))
        let bytes = rng.bytes(c.size)
        let path = try folder.write("data.bin", bytes)
        var read: [UInt8] = []
        var sizes: [Int] = []
        try FileIO.forEachChunk(of: path, range: c.range, chunkSize: c.chunkSize) { chunk in
            read += chunk
            sizes.append(chunk.count)
        }
        let expected = c.range.map { Array(bytes[Int($0.lowerBound)..<Int($0.upperBound)]) } ?? bytes
        #expect(read == expected)
        #expect(sizes.allSatisfy { $0 > 0 && $0 <= c.chunkSize })
        #expect(sizes.count == (expected.count + c.chunkSize - 1) / c.chunkSize)
    }

    @Test func aRangePastTheEndIsAnError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("short.bin", [1, 2, 3])
        var seen = 0
        #expect(throws: WardenError.io("")) {
            try FileIO.forEachChunk(of: path, range: 0..<10) { seen += $0.count }
        }
        #expect(seen == 3)
        #expect(throws: WardenError.io("")) { try FileIO.forEachChunk(of: path, range: 5..<6) { _ in } }
        #expect(throws: WardenError.io("")) { try FileIO.forEachChunk(of: folder.url("none")) { _ in } }
    }

    @Test func errorsFromTheBodyPropagate() throws {
        struct Stop: Error {}
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("data.bin", [UInt8](repeating: 1, count: 100))
        var calls = 0
        #expect(throws: Stop.self) {
            try FileIO.forEachChunk(of: path, chunkSize: 10) { _ in
                calls += 1
                if calls == 3 { throw Stop() }
            }
        }
        #expect(calls == 3)
    }

    // MARK: readAll

    @Test func readAllHonoursItsLimitInclusively() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 3)
        let bytes = rng.bytes(200_000)
        let path = try folder.write("big.bin", bytes)
        #expect(try FileIO.readAll(path, limit: 200_000) == bytes)
        #expect(try FileIO.readAll(path) == bytes)
        #expect {
            try FileIO.readAll(path, limit: 199_999)
        } throws: { error in
            let error = error as? WardenError
            return error?.code == .invalidInput && error?.message.contains("199999-byte limit") == true
        }
        #expect(try FileIO.readAll(try folder.write("empty", []), limit: 0) == [])
    }

    @Test func readAllRefusesWhatIsNotARegularFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.io("")) { try FileIO.readAll(folder.url("missing")) }
        #expect(throws: WardenError.invalidInput("")) { try FileIO.readAll(folder.path) }
        #expect(throws: WardenError.invalidInput("")) { try FileIO.readAll("/dev/null") }
    }

    /// A FIFO given where a key or signature is expected must be refused at once, not block
    /// waiting for a writer.
    @Test func readAllRefusesAFIFOWithoutBlocking() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let fifo = folder.url("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do throws(WardenError) {
                _ = try FileIO.readAll(fifo)
                box.set(nil)
            } catch {
                box.set(error)
            }
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 5) == .timedOut {
            Issue.record("readAll blocked on a FIFO")
            // Unblock the reader by opening the write end.
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            done.wait()
        }
        #expect(box.get()?.code == .invalidInput)
    }

    final class BytesBox: @unchecked Sendable {
        // Written by one thread before a semaphore signal, read after the wait.
        var bytes: [UInt8] = []
    }

    final class ResultBox: @unchecked Sendable {
        // Written by one thread before a semaphore signal, read after the wait.
        private var error: WardenError?
        func set(_ error: WardenError?) { self.error = error }
        func get() -> WardenError? { error }
    }

    // MARK: paths and kinds

    @Test func kinds() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try folder.write("f", "x")
        #expect(symlink(file, folder.url("l")) == 0)
        #expect(mkfifo(folder.url("p"), 0o600) == 0)
        #expect(FileIO.kind(of: file) == .regular)
        #expect(FileIO.kind(of: folder.path) == .directory)
        #expect(FileIO.kind(of: folder.url("l")) == .symlink)
        #expect(FileIO.kind(of: folder.url("p")) == .special)
        #expect(FileIO.kind(of: folder.url("none")) == .missing)
        #expect(try FileIO.size(of: file) == 1)
        #expect(try FileIO.size(of: folder.url("l")) == 1)
        #expect(throws: WardenError.io("")) { try FileIO.size(of: folder.url("none")) }
    }

    @Test func makeDirectoryCreatesParentsAndIsIdempotent() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileIO.makeDirectory(folder.url("a/b/c"))
        try FileIO.makeDirectory(folder.url("a/b/c/"))
        #expect(FileIO.kind(of: folder.url("a/b/c")) == .directory)
        _ = try folder.write("file", "x")
        #expect(throws: WardenError.io("")) { try FileIO.makeDirectory(folder.url("file/sub")) }
    }

    @Test(arguments: [
        ("a/b", "a", "b"), ("/a", "/", "a"), ("a", ".", "a"), ("/x/y/z.pem", "/x/y", "z.pem"), ("./m", ".", "m"),
    ])
    func pathParts(_ path: String, _ parent: String, _ last: String) {
        #expect(FileIO.parentDirectory(of: path) == parent)
        #expect(FileIO.lastComponent(of: path) == last)
    }

    @Test func lastComponentIgnoresATrailingSlash() {
        #expect(FileIO.lastComponent(of: "models/bert/") == "bert")
        // As Python's `PurePath("/").name`.
        #expect(FileIO.lastComponent(of: "/") == "")
    }

    @Test func appendAndRemove() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url("log")
        try FileIO.append("a\n", to: path)
        try FileIO.append("b\n", to: path)
        #expect(try FileIO.readAll(path) == Array("a\nb\n".utf8))
        try FileIO.removeFile(path)
        try FileIO.removeFile(path)
        #expect(FileIO.kind(of: path) == .missing)
    }

    static func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw WardenError.io("stat \(path)") }
        return info.st_mode & 0o7777
    }

    static func listing(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}
