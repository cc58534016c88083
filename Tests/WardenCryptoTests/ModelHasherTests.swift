import Foundation
import Synchronization
import Testing
import WardenCore
import WardenTesting

@testable import WardenCrypto

struct ModelHasherTests {
    static let serializations: [ModelSerialization] = [
        ModelSerialization(),
        ModelSerialization(hashAlgorithm: .blake2b),
        ModelSerialization(hashAlgorithm: .blake3),
        ModelSerialization(method: .shards(shardSize: 1000)),
        ModelSerialization(method: .shards(shardSize: 4096), hashAlgorithm: .blake3),
        ModelSerialization(method: .shards(shardSize: 1 << 20)),
    ]

    @Test(arguments: serializations)
    func parallelEqualsSerialAndEqualsDirectHashing(_ serialization: ModelSerialization) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let model = try ModelFixture.write(into: folder)
        let serial = try ModelHasher(serialization: serialization, concurrency: 1).manifest(for: model)
        for concurrency in [2, 4, 16] {
            let parallel = try ModelHasher(serialization: serialization, concurrency: concurrency).manifest(for: model)
            #expect(parallel.resources == serial.resources)
            #expect(parallel.rootDigest == serial.rootDigest)
        }
        // Each digest is the algorithm over exactly that file or byte range.
        for resource in serial.resources {
            let parts = resource.name.split(separator: ":")
            let range: Range<Int64>? = parts.count == 3 ? Int64(parts[1])!..<Int64(parts[2])! : nil
            let expected = try serialization.hashAlgorithm.hashFile(model + "/" + resource.path, range: range)
            #expect(resource.digest == expected, "\(resource.name)")
            #expect(resource.algorithm == serialization.resourceAlgorithmName)
        }
    }

    @Test(arguments: [1, 2, 4, 5, 6, 7, 100])
    func shardsCoverEachFileExactlyAndOmitEmptyFiles(_ shardSize: Int64) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for (name, size) in [("empty", 0), ("one", 1), ("six", 6), ("ten", 10)] {
            try folder.write("m/" + name, [UInt8](repeating: 0x61, count: size))
        }
        let manifest = try ModelHasher(serialization: ModelSerialization(method: .shards(shardSize: shardSize))).manifest(
            for: folder.url("m"))
        var expected: [String] = []
        for (name, size) in [("one", Int64(1)), ("six", 6), ("ten", 10)] {
            var start: Int64 = 0
            while start < size {
                expected.append("\(name):\(start):\(min(start + shardSize, size))")
                start += shardSize
            }
        }
        #expect(manifest.resources.map(\.name) == expected)
        #expect(!manifest.resources.contains { $0.name.hasPrefix("empty") })
    }

    @Test func filesModeIncludesEmptyFiles() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("m/empty", [])
        let manifest = try ModelHasher(serialization: ModelSerialization()).manifest(for: folder.url("m"))
        #expect(manifest.resources.map(\.name) == ["empty"])
        #expect(Hex.encode(manifest.resources[0].digest) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // An empty model: the root is the SHA-256 of nothing.
        try FileIO.makeDirectory(folder.url("none"))
        let empty = try ModelHasher(serialization: ModelSerialization()).manifest(for: folder.url("none"))
        #expect(empty.resources.isEmpty)
        #expect(empty.rootDigest == Digest.sha256([UInt8]()))
    }

    final class ProgressLog: Sendable {
        private let state = Mutex<[(Int64, Int64)]>([])
        func record(_ done: Int64, _ total: Int64) { state.withLock { $0.append((done, total)) } }
        var entries: [(Int64, Int64)] { state.withLock { $0 } }
    }

    @Test(arguments: [1, 4])
    func progressReportsEveryByteOnce(_ concurrency: Int) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 4)
        let sizes = [3 << 20, 100_000, 1, 0, 5_000]
        for (n, size) in sizes.enumerated() { try folder.write("m/f\(n)", rng.bytes(size)) }
        for serialization in [ModelSerialization(), ModelSerialization(method: .shards(shardSize: 1 << 20))] {
            let log = ProgressLog()
            _ = try ModelHasher(serialization: serialization, concurrency: concurrency).manifest(for: folder.url("m")) {
                log.record($0, $1)
            }
            let entries = log.entries
            let total = Int64(sizes.reduce(0, +))
            #expect(!entries.isEmpty)
            #expect(entries.allSatisfy { $0.1 == total })
            #expect(entries.map(\.0).max() == total)
            #expect(entries.allSatisfy { $0.0 > 0 && $0.0 <= total })
            // Reported under one lock: the set of values is strictly increasing once sorted.
            let sorted = entries.map(\.0).sorted()
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func onlyPathsRestrictsTheWalk() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let model = try ModelFixture.write(into: folder)
        let hasher = ModelHasher(serialization: ModelSerialization())
        let manifest = try hasher.manifest(for: model, onlyPaths: ["README.md", "weights/layer1.bin", "not/there"])
        #expect(manifest.resources.map(\.name) == ["README.md", "weights/layer1.bin"])
        #expect(try hasher.manifest(for: model, onlyPaths: []).resources.isEmpty)
    }

    @Test func unreadableModelsThrow() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let hasher = ModelHasher(serialization: ModelSerialization())
        #expect(throws: WardenError.notFound("")) { try hasher.manifest(for: folder.url("missing")) }
        try folder.write("m/a", [1])
        #expect(mkfifo(folder.url("m/fifo"), 0o600) == 0)
        #expect(throws: WardenError.invalidInput("")) { try hasher.manifest(for: folder.url("m")) }
    }

    @Test(arguments: [
        ("models/bert", "bert"), ("models/bert/", "bert"), ("bert", "bert"), ("/a/b/model.onnx", "model.onnx"),
    ])
    func modelNameIsTheLastComponent(_ path: String, _ name: String) {
        #expect(ModelHasher.modelName(for: path) == name)
    }

    @Test func modelNameOfDotIsTheFolderName() {
        let cwd = FileManager.default.currentDirectoryPath
        let expected = FileIO.lastComponent(of: URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path)
        #expect(ModelHasher.modelName(for: ".") == expected)
        #expect(ModelHasher.modelName(for: "./") == expected)
    }

    @Test func manifestOrderIsPathlibThenShardOffsets() {
        let names = ["b:0:10", "a.txt:0:5", "a/b:10:20", "a/b:2:10", "a/b:0:2", "a:b:0:1"]
        let manifest = ModelManifest(
            modelName: "m", serialization: ModelSerialization(method: .shards(shardSize: 10)),
            resources: names.map { .init(name: $0, algorithm: "x", digest: [UInt8]($0.utf8)) })
        #expect(manifest.resources.map(\.name) == ["a/b:0:2", "a/b:2:10", "a/b:10:20", "a.txt:0:5", "a:b:0:1", "b:0:10"])
        let files = ModelManifest(
            modelName: "m", serialization: ModelSerialization(),
            resources: ["a.txt", "a/b", "A", "a b"].map { .init(name: $0, algorithm: "x", digest: []) })
        #expect(files.resources.map(\.name) == ["A", "a/b", "a b", "a.txt"])
    }

    @Test func manifestsCompareByResourcesOnly() {
        let a = ModelManifest(modelName: "a", serialization: ModelSerialization(), resources: [.init(name: "x", algorithm: "sha256", digest: [1])])
        let b = ModelManifest(modelName: "b", serialization: ModelSerialization(hashAlgorithm: .blake3), resources: a.resources)
        #expect(a == b)
        var c = a
        c.resources[0].digest = [2]
        #expect(a != c)
        #expect(a.rootDigest == Digest.sha256([1]))
    }
}

extension ModelSerialization: CustomTestStringConvertible {
    public var testDescription: String { "\(resourceAlgorithmName)" }
}
