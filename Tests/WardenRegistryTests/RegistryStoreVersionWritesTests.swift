import Foundation
import Testing
import WardenCore
import WardenRegistry
import WardenRegistryPostgres
import WardenTesting

/// What every store does for the create path: a version and its documents in one transaction,
/// and the newest versions without reading the others.
struct RegistryStoreVersionWritesTests {
    typealias Backend = RegistryStoreConformanceTests.Backend

    func draft(_ action: String) -> AuditDraft { AuditDraft(time: "2026-01-01T00:00:00.000Z", actor: "t", action: action, subject: "s") }

    func version(_ model: String) -> ModelVersion {
        ModelVersion(model: model, version: 0, artefacts: [.init(path: "w.bin", digest: Digest.sha256("w"), size: 1)], uploader: "u", createdAt: 0)
    }

    @Test(arguments: Backend.allCases) func versionsWithDocumentsAndTheNewestVersions(_ backend: Backend) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        guard let store = try await RegistryStoreConformanceTests.makeStore(backend, in: folder) else { return }
        defer { (store as? PostgresRegistryStore)?.shutdown() }
        try await store.createModel(RegisteredModel(name: "fraud", createdAt: 0), audit: draft("model.create"))
        #expect(try await store.latestVersions(of: "fraud", limit: 3).isEmpty)
        for _ in 0..<5 {
            let stored = try await store.addVersion(version("fraud"), audit: draft("version.create")) { stored in
                [
                    DocumentWrite(kind: "origin", id: "fraud#\(stored.version)", value: ["v": .int(Int64(stored.version))], audit: self.draft("origin")),
                    DocumentWrite(kind: "frozen", id: "run/r1/fraud#\(stored.version)", value: [:], audit: self.draft("freeze")),
                ]
            }
            #expect(try await store.document("origin", "fraud#\(stored.version)")?["v"]?.intValue == Int64(stored.version))
        }
        #expect(try await store.latestVersions(of: "fraud", limit: 3).map(\.version) == [5, 4, 3])
        #expect(try await store.latestVersions(of: "fraud", limit: 10).map(\.version) == [5, 4, 3, 2, 1])
        #expect(try await store.latestVersions(of: "fraud", limit: 0).isEmpty)
        #expect(try await store.latestVersions(of: "ghost", limit: 3).isEmpty)
        #expect(try await store.documents("frozen", prefix: "run/r1/", limit: 100).count == 5)
        // A version of a missing model writes nothing, documents included.
        await #expect(throws: WardenError.self) {
            try await store.addVersion(version("ghost"), audit: draft("version.create")) { _ in
                [DocumentWrite(kind: "origin", id: "ghost#1", value: [:], audit: self.draft("origin"))]
            }
        }
        #expect(try await store.document("origin", "ghost#1") == nil)
        // Each write has its event, in order, and the chain verifies.
        let events = try await store.auditEvents(from: 1, limit: 100)
        #expect(events.map(\.action) == ["model.create"] + Array(repeating: ["version.create", "origin", "freeze"], count: 5).flatMap { $0 })
        #expect(events.filter { $0.action == "version.create" }.map(\.subject) == (1...5).map { "fraud/\($0)" })
        #expect(AuditChain().verify(events) == nil)
    }
}
