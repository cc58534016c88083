import Foundation
import Testing
import WardenCore
import WardenTesting

struct BlobStoreTests {
    @Test func storesOnceAndExportsVerified() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = BlobStore(root: folder.url("store"))
        var generator = SeededGenerator(seed: 3)
        let bytes = generator.bytes(3_000_000)
        let source = try folder.write("in.bin", bytes)
        let first = try store.put(file: source)
        #expect(first.isNew && first.digest == Digest.sha256(bytes) && first.size == 3_000_000)
        #expect(try store.put(file: source).isNew == false)
        #expect(try store.put(bytes: bytes).isNew == false)
        try store.export(first.digest, to: folder.url("out/copy.bin"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.url("out/copy.bin"))) == Data(bytes))
        #expect(try store.verify(first.digest))
        // Nothing is left behind in the store's temp folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url("store/tmp")).isEmpty)
    }

    @Test func aCorruptedObjectIsRefusedAndTheDestinationUntouched() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = BlobStore(root: folder.url("store"))
        let digest = try store.put(bytes: Array("hello".utf8)).digest
        let object = store.path(for: digest)
        chmod(object, 0o644)
        try "jello".write(toFile: object, atomically: false, encoding: .utf8)
        let destination = try folder.write("dest.txt", "keep me")
        #expect(throws: WardenError.self) { try store.export(digest, to: destination) }
        #expect(throws: WardenError.self) { try store.read(digest) }
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "keep me")
        #expect(try !store.verify(digest))
    }

    @Test func missingObjectsAreNotFound() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = BlobStore(root: folder.url("store"))
        let absent = Digest.sha256("absent")
        #expect(throws: WardenError.self) { try store.read(absent) }
        #expect(throws: WardenError.self) { try store.export(absent, to: folder.url("x")) }
        #expect(throws: WardenError.self) { try store.put(file: folder.url("no-such-file")) }
    }
}
