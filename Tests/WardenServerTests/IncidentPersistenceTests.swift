import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WardenCore
import WardenGuard
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Incidents and fallbacks survive a restart of the server on the same data folder (SQLite store),
/// like blocks: `GET /v2/guard/incidents` (what `warden incident list|show` reads) shows the
/// incidents from before, new ids continue after them, a playbook's fallback is still in force
/// until a person restores it, and stored documents that do not read right are skipped.
struct IncidentPersistenceTests {
    static let adminToken = APIToken.issue(for: "admin", name: "boot", now: 0).plaintext

    static func open(_ folder: TemporaryDirectory, model: String) async throws -> RegistryServer {
        let rule = try Playbook.rule("rate_limit=block+fallback")
        let configuration = ServerConfiguration().with {
            $0.data = folder.url("data")
            $0.inference.models = ["lin": model, "lin2": model]
            $0.inference.rate.ratePerSecond = 0.001
            $0.inference.rate.burst = 1
            $0.inference.playbook.rules = [rule]
            $0.inference.playbook.fallbacks = ["lin": "lin2"]
        }
        return try await RegistryServer.open(configuration: configuration, adminToken: adminToken, logger: Logger(label: "test"))
    }

    @Test func incidentsAndFallbacksSurviveARestart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let model = try folder.write("lin.onnx", try InferenceAPITests.modelBytes())
        let app: String, gus: String
        do {
            let server = try await Self.open(folder, model: model)
            app = try await server.registry.createToken(name: "app", role: .inferenceClient, by: InferenceAPITests.admin).plaintext
            gus = try await server.registry.createToken(name: "gus", role: .inferenceClient, by: InferenceAPITests.admin).plaintext
            try await Application(router: server.router()).test(.router) { client async throws in
                #expect(try await InferenceAPITests.send(client, .post, "/v2/models/lin/infer", token: app, InferenceAPITests.oneRow).status == .ok)
                // Over the rate: an incident, its client blocked and lin falling back to lin2.
                #expect(try await InferenceAPITests.send(client, .post, "/v2/models/lin/infer", token: app, InferenceAPITests.oneRow).status == .tooManyRequests)
                let list = try InferenceAPITests.json(try await InferenceAPITests.send(client, .get, "/v2/guard/incidents", token: Self.adminToken).body)
                #expect(list["incidents"]?.arrayValue?.count == 1 && list["fallbacks"] == ["lin": "lin2"], "\(list)")
            }
            await server.auditQueue.drain()
        }
        // Hostile leftovers in the store: skipped, never trusted.
        do {
            let server = try await Self.open(folder, model: model)
            let draft = AuditDraft(time: "2026-12-06T00:00:00Z", actor: "test", action: "test.document", subject: "guard", details: [:])
            for (kind, id, value): (String, String, JSONValue) in [
                (GuardPersistence.incidentKind, "7", "garbage"), (GuardPersistence.incidentKind, "8", ["id": "i8", "type": "x"]),
                (GuardPersistence.incidentKind, "9", ["id": "../i9", "time": "t", "type": "x", "severity": "low", "client": "c", "client_id": "c", "model": "m", "details": [:], "actions": []]),
                (GuardPersistence.fallbackKind, "lin2", ["model": "lin2", "fallback": "lin", "active": true]),
                (GuardPersistence.fallbackKind, "other", "garbage"),
            ] {
                try await server.registry.store.saveDocument(kind, id, value, onlyIfAbsent: false, audit: draft)
            }
        }
        // Restarted on the same folder: the incident, its block and the fallback are back.
        do {
            let server = try await Self.open(folder, model: model)
            try await Application(router: server.router()).test(.router) { client async throws in
                let list = try InferenceAPITests.json(try await InferenceAPITests.send(client, .get, "/v2/guard/incidents", token: Self.adminToken).body)
                let incidents = list["incidents"]?.arrayValue ?? []
                #expect(incidents.count == 1 && incidents.first?["id"] == "i1" && incidents.first?["type"] == "rate_limit", "\(list)")
                #expect(incidents.first?["actions"]?.arrayValue?.compactMap { $0["action"]?.stringValue } == ["block", "fallback"])
                #expect(list["fallbacks"] == ["lin": "lin2"] && list["blocks"]?.arrayValue?.first?["client"] != nil, "\(list)")
                let shown = try await InferenceAPITests.send(client, .get, "/v2/guard/incidents/i1", token: Self.adminToken)
                #expect(shown.status == .ok && shown.body.contains("rate_limit"))
                #expect(try await InferenceAPITests.send(client, .post, "/v2/models/lin/infer", token: app, InferenceAPITests.oneRow).status == .forbidden)
                // A new incident continues the numbering (its model is lin2, served in lin's place:
                // no fallback of its own, so no second guard.fallback).
                _ = try await InferenceAPITests.send(client, .post, "/v2/models/lin/infer", token: gus, InferenceAPITests.oneRow)
                let limited = try await InferenceAPITests.send(client, .post, "/v2/models/lin/infer", token: gus, InferenceAPITests.oneRow)
                #expect(limited.status == .tooManyRequests)
                let after = try InferenceAPITests.json(try await InferenceAPITests.send(client, .get, "/v2/guard/incidents", token: Self.adminToken).body)
                #expect(after["incidents"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["i2", "i1"], "\(after)")
                // The fallback served lin2 under lin's name route; a person ends it.
                #expect(try await InferenceAPITests.send(client, .delete, "/v2/guard/fallbacks/lin", token: Self.adminToken).status == .ok)
            }
            await server.auditQueue.drain()
        }
        // Ended fallbacks stay ended.
        let server = try await Self.open(folder, model: model)
        try await Application(router: server.router()).test(.router) { client async throws in
            let list = try InferenceAPITests.json(try await InferenceAPITests.send(client, .get, "/v2/guard/incidents", token: Self.adminToken).body)
            #expect(list["fallbacks"] == [:] && list["incidents"]?.arrayValue?.count == 2, "\(list)")
        }
        let events = try await server.registry.store.auditEvents(from: 1, limit: 10_000)
        #expect(events.filter { $0.action == "guard.incident" }.count == 2 && events.filter { $0.action == "guard.fallback" }.count == 1)
        #expect(events.filter { $0.action == "guard.restore" }.count == 1)
        #expect(AuditChain().verify(events) == nil)
    }
}
