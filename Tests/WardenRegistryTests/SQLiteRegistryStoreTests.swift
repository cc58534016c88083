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

    @Test func aDirectoryInsteadOfADatabaseIsAClearError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: WardenError.self) { try SQLiteRegistryStore(path: folder.path) }
    }
}
