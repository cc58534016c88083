import Foundation
import GRDB
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenRegistrySQLite

struct SQLiteRegistryStoreTests {
    static let alice = Principal(id: "alice", name: "alice", roles: [.maintainer], attributes: ["team": "risk"])
    static let bob = Principal(id: "bob", name: "bob", roles: [.reviewer], attributes: ["team": "risk"])

    func version() -> ModelVersion {
        ModelVersion(
            model: "fraud", version: 0, artefacts: [.init(path: "model.onnx", digest: Digest.sha256("w"), size: 1)], uploader: "",
            createdAt: 0, signature: .init(passed: true, keyID: "k", detail: "ok"), provenance: .init(passed: true, detail: "ok"),
            scan: .init(highestSeverity: nil, findings: 0))
    }

    @Test func theSameFlowAsInMemoryAndItSurvivesAReopen() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url("registry.sqlite")
        do {
            let registry = Registry(store: try SQLiteRegistryStore(path: path))
            _ = try await registry.createModel("fraud", attributes: ["team": "risk"], by: Self.alice)
            await #expect(throws: WardenError.self) { try await registry.createModel("fraud", by: Self.alice) }
            let v = try await registry.addVersion(version(), by: Self.alice)
            #expect(v.version == 1)
            #expect(try await registry.addVersion(version(), by: Self.alice).version == 2)
            _ = try await registry.approve("fraud", version: 1, by: Self.bob)
            _ = try await registry.moveAlias("production", of: "fraud", to: 1, by: Self.alice)
        }
        let store = try SQLiteRegistryStore(path: path)
        #expect(try await store.model(named: "fraud")?.attributes == ["team": "risk"])
        #expect(try await store.versions(of: "fraud").map(\.version) == [1, 2])
        #expect(try await store.aliases(of: "fraud") == ["production": 1])
        #expect(try await store.approvals(of: "fraud", version: 1).map(\.reviewer) == ["bob"])
        let events = try await store.auditEvents(from: 1, limit: 100)
        #expect(events.map(\.action) == ["model.create", "version.create", "version.create", "version.approve", "alias.move"])
        #expect(AuditChain().verify(events) == nil)
    }

    /// The write-ahead log is laid out with zeros at open so commits overwrite instead of growing
    /// it; a copy of the files taken while the store is open (what a power cut leaves: the
    /// database, a log of synced frames then zeros, no shared-memory index) recovers every commit.
    @Test func thePreallocatedLogHoldsEveryCommitThroughARecoveryFromACopy() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url("registry.sqlite")
        let store = try SQLiteRegistryStore(path: path)
        #expect(try FileIO.size(of: path + "-wal") >= SQLiteRegistryStore.logPreallocation)
        let registry = Registry(store: store)
        _ = try await registry.createModel("fraud", by: Self.alice)
        for _ in 0..<40 { _ = try await registry.addVersion(version(), by: Self.alice) }
        #expect(try FileIO.size(of: path + "-wal") == SQLiteRegistryStore.logPreallocation, "commits overwrite the zeros; the log did not grow")
        try FileIO.makeDirectory(folder.url("copy"))
        for suffix in ["", "-wal"] {
            try FileIO.writeAtomically(try FileIO.readAll(path + suffix, limit: 64 << 20), to: folder.url("copy/registry.sqlite" + suffix))
        }
        let recovered = try SQLiteRegistryStore(path: folder.url("copy/registry.sqlite"))
        #expect(try await recovered.versions(of: "fraud").map(\.version) == Array(1...40))
        let events = try await recovered.auditEvents(from: 1, limit: 100)
        #expect(events.count == 41 && AuditChain().verify(events) == nil)
        // The original keeps working after its copy was opened, and a reopen keeps everything.
        _ = try await registry.addVersion(version(), by: Self.alice)
        #expect(try await SQLiteRegistryStore(path: path).versions(of: "fraud").count == 41)
    }

    @Test func anEditedAuditRowIsDetected() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteRegistryStore(path: folder.url("r.sqlite"))
        let registry = Registry(store: store)
        _ = try await registry.createModel("a", by: Self.alice)
        _ = try await registry.createModel("b", by: Self.alice)
        _ = try await registry.createModel("c", by: Self.alice)
        try await store.database.write { db in try db.execute(sql: "UPDATE audit SET actor = 'mallory' WHERE seq = 2") }
        #expect(AuditChain().verify(try await store.auditEvents(from: 1, limit: 10))?.seq == 2)
        try await store.database.write { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 2") }
        #expect(AuditChain().verify(try await store.auditEvents(from: 1, limit: 10))?.seq == 2)
    }

    @Test func concurrentUploadsGetDistinctVersions() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = Registry(store: try SQLiteRegistryStore(path: folder.url("r.sqlite")))
        _ = try await registry.createModel("fraud", by: Self.alice)
        let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await registry.addVersion(self.version(), by: Self.alice).version } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(numbers.sorted() == Array(1...20))
        #expect(AuditChain().verify(try await registry.store.auditEvents(from: 1, limit: 100)) == nil)
    }

    /// Reads run in place on a pooled reader and writes in place when alone (else queued): each
    /// acknowledged write is visible to the very next read, and writes racing reads and each other
    /// keep distinct numbers and an intact chain.
    @Test func writesInPlaceOrQueuedAreVisibleToTheNextReadAndKeepTheChain() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteRegistryStore(path: folder.url("r.sqlite"))
        let registry = Registry(store: store)
        _ = try await registry.createModel("fraud", by: Self.alice)
        for n in 1...10 {
            let added = try await registry.addVersion(version(), by: Self.alice)
            #expect(added.version == n)
            #expect(try await store.version("fraud", n) == added)
            #expect(try await store.latestVersions(of: "fraud", limit: 1).map(\.version) == [n])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { _ = try await registry.addVersion(self.version(), by: Self.alice) } }
            for _ in 0..<16 {
                group.addTask {
                    let seen = try await store.versions(of: "fraud").map(\.version)
                    #expect(seen == Array(1...seen.count), "a read sees a committed prefix, never a gap")
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.versions(of: "fraud").map(\.version) == Array(1...26))
        let events = try await store.auditEvents(from: 1, limit: 100)
        #expect(events.count == 27 && AuditChain().verify(events) == nil)
    }

    /// Decoded rows are kept by their exact text: a hit is what decoding gives, a changed row (new
    /// text) decodes afresh, bad JSON still throws, and the memo stays within its capacity.
    @Test func theDecodeMemoReturnsWhatDecodingGivesAndStaysBounded() throws {
        let memo = DecodeMemo<RegisteredModel>(capacity: 3)
        let a = #"{"attributes":{},"createdAt":1,"description":"","name":"a","tags":{},"updatedAt":1}"#
        let b = #"{"attributes":{"team":"risk"},"createdAt":1,"description":"new","name":"a","tags":{},"updatedAt":2}"#
        #expect(try memo.value(for: a) == RegisteredModel(name: "a", createdAt: 1))
        #expect(try memo.value(for: a) == RegisteredModel(name: "a", createdAt: 1))
        #expect(try memo.value(for: b) == RegisteredModel(name: "a", description: "new", attributes: ["team": "risk"], createdAt: 1, updatedAt: 2))
        #expect(throws: (any Error).self) { try memo.value(for: #"{"name":"#) }
        #expect(memo.count == 2)
        for n in 0..<10 { _ = try memo.value(for: a.replacingOccurrences(of: "\"createdAt\":1", with: "\"createdAt\":\(n + 10)")) }
        #expect(memo.count <= 3)
    }

    /// A version's stored text (written through JSONValue) holds what Foundation's encoder wrote
    /// (same keys and values, absent optionals left out) and decodes back to the same version;
    /// quotes, slashes, control characters and non-ASCII in free text survive.
    @Test(arguments: [false, true])
    func storedVersionJSONMatchesTheCodableForm(_ full: Bool) throws {
        var version = version()
        version.version = 7
        version.uploader = "mia"
        version.createdAt = 1_796_580_887_852
        if full {
            version.description = "line\n\"quoted\" a/b \\ é 😀 \u{1}"
            version.tags = ["mlflow.stage": "Archived", "k/é": "v\""]
            version.lineage = .init(datasetDigest: Digest.sha256("d"), provenanceDigest: Digest.sha256("p"), parentVersion: 3)
            version.scan = .init(highestSeverity: "high", findings: 2, reportDigest: Digest.sha256("r"))
            version.artefacts.append(.init(path: "dir/weights.bin", digest: Digest.sha256("x"), size: 1 << 40))
        } else {
            version.signature = nil
            version.provenance = nil
            version.scan = nil
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let foundation = String(decoding: try encoder.encode(version), as: UTF8.self)
        #expect(try JSONParser().parse(version.storedJSON) == JSONParser().parse(foundation))
        #expect(try JSONDecoder().decode(ModelVersion.self, from: Data(version.storedJSON.utf8)) == version)
    }

    @Test func aDirectoryInsteadOfADatabaseIsAClearError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.self) { try SQLiteRegistryStore(path: folder.path) }
    }
}
