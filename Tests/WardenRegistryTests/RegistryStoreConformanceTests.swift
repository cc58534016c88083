import Foundation
import Logging
import Testing
import WardenCore
import WardenRegistry
import WardenRegistryPostgres
import WardenRegistrySQLite
import WardenTesting

/// One test suite, three stores: what the in-memory reference does, SQLite and PostgreSQL must do.
/// PostgreSQL runs when WARDEN_TEST_POSTGRES names a server (scripts/postgres.sh start DIR prints
/// one; CI sets it), each test in a database of its own.
struct RegistryStoreConformanceTests {
    enum Backend: String, CaseIterable, Sendable {
        case memory, sqlite, postgres
    }

    /// A fresh store of `backend`, or nil when that backend is not available here.
    static func makeStore(_ backend: Backend, in folder: TemporaryDirectory) async throws -> (any RegistryStore)? {
        switch backend {
        case .memory: return InMemoryRegistryStore()
        case .sqlite: return try SQLiteRegistryStore(path: folder.url("r.sqlite"))
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["WARDEN_TEST_POSTGRES"], !url.isEmpty else { return nil }
            var logger = Logger(label: "test.postgres")
            logger.logLevel = .critical
            let fresh = try await PostgresRegistryStore.createDatabase(from: url, named: "t_" + UUID().uuidString.prefix(8).lowercased(), logger: logger)
            return try await PostgresRegistryStore.connect(url: fresh, logger: logger)
        }
    }

    static let alice = Principal(id: "alice", name: "alice", roles: [.maintainer], attributes: ["team": "risk"])
    static let bob = Principal(id: "bob", name: "bob", roles: [.reviewer], attributes: ["team": "risk"])

    func version(_ model: String = "fraud") -> ModelVersion {
        ModelVersion(
            model: model, version: 0, artefacts: [.init(path: "model.onnx", digest: Digest.sha256("w"), size: 1)], uploader: "", createdAt: 0,
            signature: .init(passed: true, keyID: "k", detail: "ok"), provenance: .init(passed: true, detail: "ok"), scan: .init(highestSeverity: nil, findings: 0))
    }

    func draft(_ action: String) -> AuditDraft { AuditDraft(time: "2026-01-01T00:00:00.000Z", actor: "t", action: action, subject: "s") }

    @Test(arguments: Backend.allCases) func theWholeProtocol(_ backend: Backend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        guard let store = try await Self.makeStore(backend, in: folder) else { return }
        defer { (store as? PostgresRegistryStore)?.shutdown() }
        let registry = Registry(store: store, clock: .fixed(Date(timeIntervalSince1970: 1_790_000_000)))

        #expect(try await store.auditHead() == nil)
        _ = try await registry.createModel("fraud", attributes: ["team": "risk"], by: Self.alice)
        await #expect(throws: WardenError.self) { try await registry.createModel("fraud", by: Self.alice) }
        _ = try await registry.createModel("iris", by: Self.alice)
        #expect(try await store.models().map(\.name) == ["fraud", "iris"])
        #expect(try await store.model(named: "fraud")?.attributes == ["team": "risk"])
        #expect(try await store.model(named: "nope") == nil)
        try await registry.setModelTag("owner", "risk-team", on: "fraud", by: Self.alice)
        #expect(try await store.model(named: "fraud")?.tags == ["owner": "risk-team"])
        await #expect(throws: WardenError.self) { try await store.updateModel(RegisteredModel(name: "ghost", createdAt: 0), audit: draft("x")) }

        #expect(try await registry.addVersion(version(), by: Self.alice).version == 1)
        #expect(try await registry.addVersion(version(), by: Self.alice).version == 2)
        #expect(try await registry.addVersion(version("iris"), by: Self.alice).version == 1)
        await #expect(throws: WardenError.self) { try await store.addVersion(version("ghost"), audit: draft("x")) }
        try await registry.setVersionTag("validated", "yes", on: "fraud", version: 2, by: Self.alice)
        #expect(try await store.version("fraud", 2)?.tags == ["validated": "yes"])
        #expect(try await store.versions(of: "fraud").map(\.version) == [1, 2])
        #expect(try await store.version("fraud", 3) == nil)

        _ = try await registry.approve("fraud", version: 1, by: Self.bob)
        #expect(try await store.approvals(of: "fraud", version: 1).map(\.reviewer) == ["bob"])
        #expect(try await store.approvals(of: "fraud", version: 2).isEmpty)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 1, by: Self.alice)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 2, by: Self.alice)
        _ = try await registry.moveAlias("champion", of: "fraud", to: 2, by: Self.alice)
        #expect(try await store.aliases(of: "fraud") == ["staging": 2, "champion": 2])
        #expect(try await registry.rollback("staging", of: "fraud", by: Self.alice).to == 1)
        try await registry.removeAlias("champion", of: "fraud", by: Self.alice)
        #expect(try await store.aliases(of: "fraud") == ["staging": 1])
        #expect(try await store.aliasHistory(of: "fraud", alias: "staging").map(\.to) == [1, 2, 1])
        #expect(try await store.aliasHistory(of: "fraud", alias: nil).count == 5)

        let issued = try await registry.createToken(name: "carol", role: .reader, models: ["fraud*"], by: Principal(id: "admin", name: "admin", roles: [.admin]))
        #expect(try await store.principal(id: "carol")?.grants == [.init(models: "fraud*", role: .reader)])
        #expect(try await registry.authenticate(token: issued.plaintext)?.id == "carol")
        _ = try await registry.revokeToken(id: issued.token.id, by: Principal(id: "admin", name: "admin", roles: [.admin]))
        #expect(try await store.token(id: issued.token.id)?.revoked == true)
        #expect(try await registry.authenticate(token: issued.plaintext) == nil)

        // Documents: exact reads, prefix listings in id order, insert-only-if-absent.
        for id in ["1/models/m-a/artifacts/MLmodel", "1/models/m-a/artifacts/sub/x.bin", "1/models/m-b/artifacts/y", "1/models/m-a/artifactsX"] {
            #expect(try await store.saveDocument("art", id, ["id": .string(id)], onlyIfAbsent: true, audit: draft("doc")))
        }
        #expect(try await !store.saveDocument("art", "1/models/m-b/artifacts/y", ["id": "other"], onlyIfAbsent: true, audit: draft("doc")))
        #expect(try await store.document("art", "1/models/m-b/artifacts/y")?["id"]?.stringValue == "1/models/m-b/artifacts/y")
        try await store.saveDocument("art", "1/models/m-b/artifacts/y", ["id": "replaced"], onlyIfAbsent: false, audit: draft("doc"))
        #expect(try await store.document("art", "1/models/m-b/artifacts/y")?["id"] == "replaced")
        let listed = try await store.documents("art", prefix: "1/models/m-a/artifacts/", limit: 100).map(\.id)
        #expect(listed == ["1/models/m-a/artifacts/MLmodel", "1/models/m-a/artifacts/sub/x.bin"])
        #expect(try await store.documents("art", prefix: "1/", limit: 2).count == 2)
        #expect(try await store.documents("other", prefix: "", limit: 10).isEmpty)
        #expect(try await store.document("art", "missing") == nil)

        // Every write left an event; the chain verifies and the head is its last event.
        let events = try await store.auditEvents(from: 1, limit: 1000)
        #expect(AuditChain().verify(events) == nil)
        #expect(events.count > 20)
        let head = try #require(try await store.auditHead())
        #expect(head.seq == events.last?.seq && head.hash == events.last?.hash)
        #expect(try await store.auditEvents(from: 3, limit: 2).map(\.seq) == [3, 4])
    }

    @Test(arguments: Backend.allCases) func concurrentWritersGetDistinctVersionsAndOneChain(_ backend: Backend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        guard let store = try await Self.makeStore(backend, in: folder) else { return }
        defer { (store as? PostgresRegistryStore)?.shutdown() }
        let registry = Registry(store: store)
        _ = try await registry.createModel("fraud", by: Self.alice)
        let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask {
                    if index % 3 == 0 { try await store.appendAudit(AuditDraft(time: "t", actor: "x", action: "artefact.download", subject: "s")) }
                    return try await registry.addVersion(self.version(), by: Self.alice).version
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(numbers.sorted() == Array(1...24))
        let events = try await store.auditEvents(from: 1, limit: 1000)
        #expect(events.count == 1 + 24 + 8)
        #expect(AuditChain().verify(events) == nil)
    }
}
