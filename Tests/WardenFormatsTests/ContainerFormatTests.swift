import Testing
import WardenCore
import WardenFormats
import WardenTesting

struct ContainerFormatTests {
    @Test func zipArchiveListsAndReadsStoredAndDeflatedMembers() throws {
        var zip = ZipWriter()
        zip.add("a.txt", Array("hello".utf8))
        zip.add("dir/b.bin", [UInt8](repeating: 7, count: 10_000), deflate: true)
        let archive = try ZipArchive(source: MemorySource(name: "z", bytes: zip.bytes()))
        #expect(archive.entries.map(\.name) == ["a.txt", "dir/b.bin"])
        #expect(archive.entries[1].method == 8)
        #expect(try archive.read(archive.entries[0], limit: 100) == Array("hello".utf8))
        #expect(try archive.read(archive.entries[1], limit: 20_000) == [UInt8](repeating: 7, count: 10_000))
        #expect(try archive.prefix(of: archive.entries[1], count: 16) == [UInt8](repeating: 7, count: 16))
        #expect(throws: Decompressor.LimitExceeded.self) { try archive.read(archive.entries[1], limit: 100) }
        #expect(archive.anomalies.isEmpty)
        #expect(try archive.storedSource(archive.entries[0], name: "a")?.read(0..<5) == Array("hello".utf8))
    }

    @Test func zipWithLeadingBytesShiftsOffsetsLikePythonsZipfile() throws {
        let zip = ZipWriter([.init("m.txt", Array("data".utf8))], prefix: Array("#!/bin/sh\nexit 0\n".utf8))
        let archive = try ZipArchive(source: MemorySource(name: "z", bytes: zip.bytes()))
        #expect(archive.prefixLength == 17)
        #expect(try archive.read(archive.entries[0], limit: 10) == Array("data".utf8))
    }

    @Test func zipRejectsGarbageWithAClearError() {
        #expect(throws: WardenError.invalidInput("")) { try ZipArchive(source: MemorySource(name: "z", bytes: Array("PK\u{3}\u{4}nothing".utf8))) }
        var zip = ZipWriter()
        zip.add("a", [1, 2, 3])
        ParserVerifier.verify(zip.bytes(), flips: 300) { bytes in
            let archive = try ZipArchive(source: MemorySource(name: "z", bytes: bytes))
            for entry in archive.entries { _ = try? archive.read(entry, limit: 1 << 16) }
        }
    }

    @Test(arguments: Decompressor.Codec.allCases.filter { $0 != .deflate })
    func decompressorRoundTripsEveryCodec(_ codec: Decompressor.Codec) throws {
        let data = ModelFileFactory.joblib() + [UInt8](repeating: 1, count: 3 << 20)
        let compressed: [UInt8] = switch codec {
        case .zlib: Compression.zlib(data)
        case .gzip: Compression.gzip(data)
        case .bzip2: Compression.bzip2(data)
        case .xz: Compression.xz(data)
        case .lzma: Compression.xz(data, alone: true)
        case .deflate: Compression.deflate(data)
        }
        #expect(Decompressor.Codec.detect(Array(compressed.prefix(16))) == codec)
        let source = MemorySource(name: "c", bytes: compressed)
        #expect(try Decompressor.decompress(codec, from: source, limit: 4 << 20) == data)
        #expect(try Decompressor.prefix(codec, from: source, count: 10) == Array(data.prefix(10)))
        #expect(throws: Decompressor.LimitExceeded.self) { try Decompressor.decompress(codec, from: source, limit: 1 << 20) }
        // Truncated streams are an error, not a crash.
        let cut = MemorySource(name: "c", bytes: Array(compressed.prefix(compressed.count / 2)))
        #expect(throws: (any Error).self) { try Decompressor.decompress(codec, from: cut, limit: 4 << 20) }
    }

    @Test func numpyHeaderReadsDtypeShapeAndObjectness() throws {
        let numeric = ModelFileFactory.npy(descr: "<f4", shape: [3, 4], data: [UInt8](repeating: 0, count: 48))
        let header = try NumpyHeader(source: MemorySource(name: "n", bytes: numeric))
        #expect(header.descr == "<f4")
        #expect(header.shape == [3, 4])
        #expect(header.dataSize == 48)
        #expect(header.dataOffset == 128)  // NumPy pads the header to a multiple of 64
        #expect(!header.hasObjects)
        let structured = ModelFileFactory.npy(descr: "[('name', '|O'), ('Other', '<f8')]", shape: [2], data: [])
        #expect(try NumpyHeader(source: MemorySource(name: "n", bytes: structured)).hasObjects)
        let plain = ModelFileFactory.npy(descr: "[('Object', '<f8')]", shape: [2], data: [])
        #expect(try !NumpyHeader(source: MemorySource(name: "n", bytes: plain)).hasObjects)
        ParserVerifier.verify(numeric) { bytes in _ = try NumpyHeader(source: MemorySource(name: "n", bytes: bytes)) }
    }

    @Test func pythonLiteralsParseWithoutEvaluation() throws {
        var parser = PythonLiteral.Parser(text: "{'a': (1,), 'b': [True, None, -2.5, \"x\"], 'c': ()}")
        let value = try parser.parse()
        #expect(value == .dict([(.string("a"), .tuple([.int(1)])), (.string("b"), .list([.bool(true), .none, .float(-2.5), .string("x")])), (.string("c"), .tuple([]))]))
        var hostile = PythonLiteral.Parser(text: "{'a': __import__('os')}")
        #expect(throws: WardenError.self) { try hostile.parse() }
        var deep = PythonLiteral.Parser(text: String(repeating: "[", count: 10_000))
        #expect(throws: WardenError.self) { try deep.parse() }
    }
}
