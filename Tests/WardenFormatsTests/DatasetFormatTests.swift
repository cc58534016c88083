import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenFormats

struct CSVDatasetTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsFeaturesAndLabelsWithQuotingAndCRLF() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("t.csv", "a,\"b,1\",label\r\n1,2.5,cat\r\n\"3\",-4e-1,\"dog\"\r\n\n5,6,cat")
        let table = try CSVDataset(path: path, label: "label")
        #expect(table.featureNames == ["a", "b,1"])
        let rows = try table.readAll()
        #expect(rows.rowCount == 3)
        #expect(rows.features == [1, 2.5, 3, -0.4, 5, 6])
        #expect(rows.labels == ["cat", "dog", "cat"])
    }

    @Test func featuresCanBeChosenAndReorderedByName() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("t.csv", "x,y,z\n1,2,3\n")
        let rows = try CSVDataset(path: path, label: nil, features: ["z", "x"]).readAll()
        #expect(rows.features == [3, 1])
        #expect(message { _ = try CSVDataset(path: path, label: nil, features: ["w"]) }.contains("no feature column 'w'"))
    }

    @Test func batchesStreamInOrder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("t.csv", "v,label\n" + (0..<10).map { "\($0),\($0 % 2)" }.joined(separator: "\n") + "\n")
        var seen: [(Int, Int)] = []
        try CSVDataset(path: path, label: "label").forEachBatch(rows: 4) { seen.append(($0.firstRow, $0.rowCount)) }
        #expect(seen.map(\.0) == [1, 5, 9])
        #expect(seen.map(\.1) == [4, 4, 2])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var label: String? = "label"
        var expected: [String]
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "ragged row", text: "a,label\n1,0\n1,2,0\n", expected: ["row 2", "line 3", "3 fields"]),
        BadCase(name: "NaN feature", text: "a,label\n1,0\nNaN,1\n", expected: ["row 2", "column 'a'", "not a finite number"]),
        BadCase(name: "infinite feature", text: "a,label\n-inf,1\n", expected: ["row 1", "not a finite number"]),
        BadCase(name: "text feature", text: "a,label\nabc,1\n", expected: ["row 1", "'abc' is not a number"]),
        BadCase(name: "empty feature", text: "a,label\n,1\n", expected: ["row 1", "'' is not a number"]),
        BadCase(name: "missing label column", text: "a,b\n1,2\n", expected: ["no column 'label'", "'a', 'b'"]),
        BadCase(name: "empty label", text: "a,label\n1,\n", expected: ["row 1", "empty label"]),
        BadCase(name: "duplicate column", text: "a,a,label\n1,2,3\n", expected: ["two columns named 'a'"]),
        BadCase(name: "empty file", text: "", expected: ["is empty"]),
        BadCase(name: "unclosed quote", text: "a,label\n\"1,0\n", expected: ["quoted field is not closed"]),
    ]

    @Test(arguments: badCases) func badInputNamesTheRow(_ testCase: BadCase) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("bad.csv", testCase.text)
        let text = message { _ = try CSVDataset(path: path, label: testCase.label).readAll() }
        for part in testCase.expected { #expect(text.contains(part), "\(text)") }
        #expect(text.contains("bad.csv"))
    }

    @Test func hostileBytesNeverCrash() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let valid = Array("a,b,label\n1,2,x\n\"3\",4,y\n5,6,\"z\"\"\"\n".utf8)
        ParserVerifier.verify(valid, flips: 200) { bytes in
            let path = try folder.write("v.csv", bytes)
            _ = try CSVDataset(path: path, label: "label").readAll()
        }
    }
}

struct ArrayFormatTests {
    @Test func npyRoundTripsAndReadsEveryByteOrderAndMemoryOrder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let array = try NumericArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let path = try folder.write("a.npy", NumpyArrayFile.encode(array))
        let back = try NumpyArrayFile.read(path: path)
        #expect(back.shape == [2, 3] && back.floats() == [1, 2, 3, 4, 5, 6])
        // Big-endian int16, Fortran order: the columns are stored first.
        let header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }"
        var bytes = NumpyHeader.magic + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for value: Int16 in [1, 4, 2, 5, 3, 6] { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
        let fortran = try NumpyArrayFile.read(MemorySource(name: "f.npy", bytes: bytes))
        #expect(try fortran.int64s() == [1, 2, 3, 4, 5, 6])
    }

    @Test func npyRefusesObjectsAndTruncatedData() throws {
        let header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
        let object = NumpyHeader.magic + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0x80, 0x04]
        #expect(throws: WardenError.self) { _ = try NumpyArrayFile.read(MemorySource(name: "o.npy", bytes: object)) }
        let full = NumpyArrayFile.encode(try NumericArray(shape: [4], floats: [1, 2, 3, 4]))
        #expect(throws: WardenError.self) { _ = try NumpyArrayFile.read(MemorySource(name: "t.npy", bytes: Array(full.dropLast(3)))) }
        ParserVerifier.verify(full, flips: 200) { _ = try NumpyArrayFile.read(MemorySource(name: "v.npy", bytes: $0)) }
    }

    @Test func npzArchivesOfStoredAndCompressedMembers() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let x = NumpyArrayFile.encode(try NumericArray(shape: [2, 2], floats: [1, 2, 3, 4]))
        let y = NumpyArrayFile.encode(try NumericArray(shape: [2], int64s: [7, 9]))
        let path = try folder.write("d.npz", ZipWriter([.init("x.npy", x), .init("y.npy", y, deflate: true)]).bytes())
        let arrays = try NumpyArrayFile.readArchive(path: path)
        #expect(arrays["x"]?.floats() == [1, 2, 3, 4])
        #expect(try arrays["y"]?.int64s() == [7, 9])
    }

    @Test func idxReadsMNISTLayoutAndRefusesBadHeaders() throws {
        // Two 2×2 unsigned-byte images, as train-images-idx3-ubyte lays them out.
        let bytes: [UInt8] = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [0, 255, 128, 1, 2, 3, 4, 5]
        let images = try IDXFile.read(MemorySource(name: "images.idx", bytes: bytes))
        #expect(images.shape == [2, 2, 2])
        #expect(try images.int64s() == [0, 255, 128, 1, 2, 3, 4, 5])
        let floats: [UInt8] = [0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0]
        #expect(try IDXFile.read(MemorySource(name: "f.idx", bytes: floats)).floats() == [1])
        #expect(throws: WardenError.self) { _ = try IDXFile.read(MemorySource(name: "bad.idx", bytes: [1, 0, 8, 1, 0, 0, 0, 1, 0])) }
        #expect(throws: WardenError.self) { _ = try IDXFile.read(MemorySource(name: "short.idx", bytes: Array(bytes.dropLast()))) }
        ParserVerifier.verify(bytes, flips: 200) { _ = try IDXFile.read(MemorySource(name: "v.idx", bytes: $0)) }
    }
}
