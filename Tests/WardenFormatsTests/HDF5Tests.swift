import Foundation
import Testing
import WardenCore
import WardenFormats
import WardenTesting

/// HDF5RootAttributes against files h5py wrote (Fixtures/hdf5, made by
/// scripts/interop/hdf5_fixtures.py, with h5py's own reading of them in expected.json) and against
/// HDF5Writer's files, then against hostile variants: truncations, bit flips, huge declared sizes,
/// cycles and exhausted budgets.
struct HDF5Tests {
    static let folder: String = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("The test resources have no Fixtures folder")
        }
        return url.path + "/hdf5/"
    }()

    static let fixtures = ["earliest-fixed.h5", "earliest-many.h5", "earliest-big.h5", "latest-vlen.h5", "latest-dense.h5", "latest-huge.h5"]

    static func bytes(_ name: String) throws -> [UInt8] { try FileIO.readAll(folder + name) }

    static func read(_ bytes: [UInt8], limits: HDF5RootAttributes.Limits = .init()) throws -> HDF5RootAttributes {
        try HDF5RootAttributes(source: MemorySource(name: "t.h5", bytes: bytes), limits: limits)
    }

    @Test(arguments: fixtures)
    func readsEveryRootAttributeAsH5pyDoes(_ name: String) throws {
        let expected = try JSONParser().parse(try Self.bytes("expected.json"))[name]
        guard case .object(let wanted)? = expected else { Issue.record("no expectation for \(name)"); return }
        let root = try Self.read(try Self.bytes(name))
        #expect(root.problems == [], "\(name)")
        #expect(Set(root.attributes.map(\.name)) == Set(wanted.map(\.0)), "\(name)")
        for (attribute, summaries) in wanted {
            let strings = root[attribute]?.strings.map { String(decoding: $0, as: UTF8.self) } ?? []
            let described = strings.map { text -> [String] in
                ["\(text.utf8.count)", String(text.prefix(40)), String(text.suffix(20))]
            }
            let want = summaries.arrayValue?.map { item in
                (item.arrayValue ?? []).map { $0.intValue.map(String.init) ?? $0.stringValue ?? "?" }
            }
            #expect(described == want, "\(name) \(attribute)")
        }
        if name == "latest-dense.h5" {
            #expect(root.usesDenseStorage, "\(name) keeps its attributes in a fractal heap")
            #expect(root.objectHeaderVersion == 2)
        }
        if let config = root["model_config"]?.string {
            #expect(config.hasPrefix(#"{"class_name": "Sequential""#))
        }
    }

    @Test func writerFilesRoundTripIncludingContinuationBlocks() throws {
        let attributes: [(name: String, value: [UInt8])] = (0..<5).map { ("attr\($0)", Array("value \($0)".utf8)) }
        for split in [nil, 0, 2] {
            let root = try Self.read(HDF5Writer.file(attributes: attributes, continuationAfter: split, trailer: [1, 2, 3]))
            #expect(root.problems == [])
            #expect(root.superblockVersion == 0 && root.objectHeaderVersion == 1)
            #expect(root.attributes.map(\.name) == attributes.map(\.name))
            #expect(root.attributes.map { $0.strings.first ?? [] } == attributes.map(\.value))
        }
    }

    @Test func userBlockBeforeTheSuperblockIsSkipped() throws {
        // libhdf5 looks for the superblock at 0, 512, 1024, …; addresses are then relative to it.
        let file = HDF5Writer.file(attributes: [("model_config", Array("{}".utf8))])
        var shifted = [UInt8](repeating: 0x41, count: 512) + file
        // The base address field (offset 24 of a version 0 superblock) is the superblock's offset.
        shifted[512 + 24] = 0x00
        shifted[512 + 25] = 0x02
        let root = try Self.read(shifted)
        #expect(root.superblockOffset == 512)
        #expect(root["model_config"]?.string == "{}")
    }

    @Test func notHDF5AndBrokenSuperblocksAreCleanErrors() {
        #expect(throws: WardenError.invalidInput("")) { try Self.read(Array("not an hdf5 file at all".utf8)) }
        #expect(throws: WardenError.invalidInput("")) { try Self.read(HDF5RootAttributes.signature + [7]) }
        var badSizes = HDF5Writer.file(attributes: [])
        badSizes[13] = 3
        #expect(throws: WardenError.invalidInput("")) { try Self.read(badSizes) }
        var badVersion = HDF5Writer.file(attributes: [])
        badVersion[8] = 9
        #expect(throws: WardenError.invalidInput("")) { try Self.read(badVersion) }
    }

    /// Every truncation and seeded bit flips of every fixture: a value or an error, never a crash.
    @Test(arguments: fixtures)
    func truncationsAndBitFlipsNeverCrash(_ name: String) throws {
        let input = try Self.bytes(name)
        let outcome = ParserVerifier.verify(input, flips: 300, maxTruncations: 400) { bytes in
            let root = try Self.read(bytes)
            _ = root.attributes.map(\.strings)
        }
        #expect(outcome.parsed + outcome.rejected > 400)
    }

    @Test func writerFileVariantsNeverCrash() {
        let file = HDF5Writer.file(attributes: [("model_config", Array(#"{"class_name": "Sequential"}"#.utf8)), ("backend", Array("tf".utf8))],
                                   continuationAfter: 1)
        let outcome = ParserVerifier.verify(file, flips: 1_000) { bytes in _ = try Self.read(bytes) }
        #expect(outcome.parsed > 0 && outcome.rejected > 0)
    }

    /// The truncated file's attributes: the superblock still reads, the gap is a problem naming it.
    @Test func truncatedObjectHeaderIsAProblemNotACrash() throws {
        let file = HDF5Writer.file(attributes: [("model_config", Array("{}".utf8))])
        let root = try Self.read(Array(file.prefix(130)))
        #expect(root.attributes.isEmpty)
        #expect(root.problems.count == 1)
        #expect(root.problems.first?.contains("truncated") == true)
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeAnyAllocation() throws {
        let file = HDF5Writer.file(attributes: [("model_config", Array("{}".utf8))])
        // The version 1 object header's size (offset 96 + 8): 4 GiB − 1.
        var header = file
        header.replaceSubrange(104..<108, with: [0xff, 0xff, 0xff, 0xff])
        let root = try Self.read(header)
        #expect(root.problems.first?.contains("declares 4294967295 bytes") == true)
        // An attribute message whose size runs past its block.
        var message = file
        let attributeAt = 96 + 16 + 32 + 16
        #expect(message.le16(attributeAt) == 0x0C)
        message[attributeAt + 3] = 0x7f
        #expect(try Self.read(message).problems.first?.contains("past the end of its block") == true)
        // A read budget smaller than the file's structures, and blocks larger than allowed.
        let latest = try Self.bytes("latest-vlen.h5")
        let root2 = try Self.read(latest, limits: { var l = HDF5RootAttributes.Limits(); l.maxReadBytes = 512; return l }())
        #expect(root2.problems.contains { $0.contains("budget") })
        var small = HDF5RootAttributes.Limits()
        small.maxBlockBytes = 16
        #expect(try Self.read(file, limits: small).problems.first?.contains("more than the 16") == true)
    }

    @Test func continuationCyclesEndWithAProblem() throws {
        let file = HDF5Writer.file(attributes: [("a", [1]), ("b", [2])], continuationAfter: 1)
        // Point the continuation at the first block's messages again: the header reads each block once.
        guard let at = file.continuationMessageData() else { Issue.record("no continuation message"); return }
        var looped = file
        let firstBlockSize = UInt64(file[104]) | UInt64(file[105]) << 8
        looped.replaceSubrange(at..<at + 16, with: HDF5Writer.le(96 + 16, 8) + HDF5Writer.le(firstBlockSize, 8))
        let root = try Self.read(looped)
        #expect(root.problems.contains { $0.contains("cycle") })
        // A continuation block that holds a continuation to itself.
        let block = Int(file.le64(at))
        var twice = file
        twice.replaceSubrange(block..<block + 8, with: HDF5Writer.le(0x10, 2) + HDF5Writer.le(16, 2) + [0, 0, 0, 0])
        twice.replaceSubrange(block + 8..<block + 24, with: HDF5Writer.le(UInt64(block), 8) + HDF5Writer.le(24, 8))
        let cycled = try Self.read(twice)
        #expect(cycled.problems.contains { $0.contains("cycle") })
    }

    @Test func denseStorageRespectsTheNodeBudget() throws {
        var limits = HDF5RootAttributes.Limits()
        limits.maxNodes = 1
        let root = try Self.read(try Self.bytes("latest-dense.h5"), limits: limits)
        #expect(root.problems.contains { $0.contains("B-tree nodes and heap blocks") })
        #expect(root["model_config"] == nil)
    }
}

extension [UInt8] {
    func le16(_ at: Int) -> Int { Int(self[at]) | Int(self[at + 1]) << 8 }
    func le64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[at + $1]) << (8 * UInt64($1)) } }

    /// Where the data of the first continuation message (type 0x10) of a version 1 root header starts.
    func continuationMessageData() -> Int? {
        var position = 96 + 16
        while position + 8 <= count {
            let size = le16(position + 2)
            if le16(position) == 0x10 { return position + 8 }
            position += 8 + size
            if size == 0 && le16(position - 8) == 0 { return nil }
        }
        return nil
    }
}
