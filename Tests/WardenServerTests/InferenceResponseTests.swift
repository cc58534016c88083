import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import WardenCore
import WardenCrypto
import WardenGuard
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Alerts and the response to them: the webhook sink against a real loopback receiver (retries,
/// a slow receiver never holds up inference), CEF lines, playbooks (block, revoke, rollback,
/// fallback, each audited), the incident API (admin/reviewer only, hostile bodies), windowed
/// drift with its alerts and gauges, A/B splits with per-version metrics, and `--model` files
/// scanned and signature-checked before loading.
struct InferenceResponseTests {
    typealias API = InferenceAPITests
    typealias Guard = InferenceGuardTests

    /// A loopback HTTP server that records what is POSTed to `/hook`; the first `failures` posts
    /// get a 500, and every answer waits `delay` seconds.
    final class Receiver: Sendable {
        let bodies = Mutex<[String]>([])
        let attempts = Mutex(0)
        let failures: Int
        let delay: Double
        /// While false, the receiver holds every post (at most `delay` seconds).
        let open = Mutex(true)
        init(failures: Int = 0, delay: Double = 0) {
            self.failures = failures
            self.delay = delay
        }

        func run(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
                let until = ContinuousClock.now + .milliseconds(Int64(self.delay * 1000))
                while !self.open.withLock({ $0 }), ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(10)) }
                let attempt = self.attempts.withLock { count -> Int in
                    count += 1
                    return count
                }
                if attempt <= self.failures { return Response(status: .internalServerError) }
                self.bodies.withLock { $0.append(text) }
                return Response(status: .ok)
            }
            try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
                try await body(try #require(client.port))
            }
        }
    }

    static func waitFor(_ seconds: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    static func extraction(_ action: ExtractionDetector.Action = .alert) -> ExtractionDetector.Policy { Guard.policy(action) }

    @Test func webhookReceivesAlertsAndRetriesAfterAServerError() async throws {
        let receiver = Receiver(failures: 1)
        try await receiver.run { port in
            let s = try await API.setup {
                $0.extraction = Self.extraction()
                var hook = InferenceConfiguration.Webhook(url: "http://127.0.0.1:\(port)/hook")
                hook.policy.backoff = 0.01
                $0.webhook = hook
            }
            defer { s.folder.remove() }
            try await Application(router: s.server.router()).test(.router) { client in
                #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Guard.rows(30)).status == .ok)
                try await Self.waitFor { receiver.bodies.withLock { !$0.isEmpty } }
                let posted = try #require(receiver.bodies.withLock { $0.first })
                let alert = try API.json(posted)
                #expect(alert["type"] == "extraction" && alert["client"] == "app" && alert["model"] == "lin" && alert["severity"] == "high")
                #expect(receiver.attempts.withLock { $0 } == 2, "one failure, one retry")
                // The receiver stores the body before it answers; the queue counts the delivery
                // once the answer arrives, so poll /metrics for it.
                var metrics = ""
                let deadline = ContinuousClock.now + .seconds(10)
                repeat {
                    metrics = try await API.send(client, .get, "/metrics", token: nil).body
                    if metrics.contains(#"guard_webhook_alerts_total{outcome="delivered"} 1"#) { break }
                    try await Task.sleep(for: .milliseconds(20))
                } while ContinuousClock.now < deadline
                #expect(metrics.contains(#"guard_webhook_alerts_total{outcome="delivered"} 1"#), "\(metrics)")
                #expect(metrics.contains(#"guard_webhook_alerts_total{outcome="retried"} 1"#))
            }
        }
    }

    @Test func aSlowWebhookNeverHoldsUpInference() async throws {
        let receiver = Receiver(delay: 30)
        receiver.open.withLock { $0 = false }
        try await receiver.run { port in
            let s = try await API.setup {
                $0.extraction = nil
                $0.rate = RateLimiter.Policy(ratePerSecond: 0.001, burst: 1)
                var hook = InferenceConfiguration.Webhook(url: "http://127.0.0.1:\(port)/hook")
                hook.policy.timeout = 10
                hook.policy.capacity = 1
                $0.webhook = hook
            }
            defer { s.folder.remove() }
            // Two clients over their rate: two alerts for a receiver that takes 4 s each and a
            // queue of one. The refusals come back without waiting for it (a blocking sink would
            // take at least 4 s; the bound leaves room for a loaded machine).
            let tokens = [s.client, s.granted]
            try await Application(router: s.server.router()).test(.router) { client in
                for token in tokens {
                    #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: token, API.oneRow).status == .ok)
                    #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: token, API.oneRow).status == .tooManyRequests)
                }
                #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: nil, API.oneRow).status == .unauthorized)
                // The receiver has answered nothing yet: every request above returned without it.
                #expect(receiver.bodies.withLock { $0.isEmpty }, "inference waited for the webhook")
                let metrics = try await API.send(client, .get, "/metrics", token: nil).body
                #expect(metrics.contains("guard_webhook_queue "), "\(metrics)")
            }
            receiver.open.withLock { $0 = true }
            try await Self.waitFor(12) { receiver.bodies.withLock { !$0.isEmpty } }
            #expect(receiver.bodies.withLock { $0.count } >= 1)
        }
    }

    @Test func cefLinesAndSeverityReachTheSIEMFile() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let cef = folder.url("alerts.cef")
        let s = try await API.setup {
            $0.extraction = Self.extraction()
            $0.cefFile = cef
            $0.cefSyslogHost = "gw-1"
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Guard.rows(30))
            #expect(reply.status == .ok)
        }
        let lines = String(decoding: try FileIO.readAll(cef), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        let line = String(try #require(lines.first))
        #expect(line.hasPrefix("<132>1 ") && line.contains(" gw-1 warden - - - CEF:0|Warden|warden-gateway|"), "\(line)")
        #expect(line.contains("|extraction|Model extraction suspected|8|") && line.contains("suser=app") && line.contains("cs1=lin"))
    }

    @Test func playbookBlocksTheClientAndPeopleSeeAndLiftIt() async throws {
        let s = try await API.setup {
            $0.extraction = Self.extraction()
            $0.playbook = Playbook(rules: [.init(types: ["extraction"], minimumSeverity: .high, actions: [.block, .rollback, .fallback])], blockSeconds: 0)
        }
        defer { s.folder.remove() }
        let admin = try await s.server.registry.createToken(name: "ada", role: .admin, by: API.admin).plaintext
        let reviewer = try await s.server.registry.createToken(name: "rex", role: .reviewer, by: API.admin).plaintext
        try await Application(router: s.server.router()).test(.router) { client in
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Guard.rows(30)).status == .ok)
            let refused = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow)
            #expect(refused.status == .forbidden && refused.body.contains("incident i1"), "\(refused.body)")
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.granted, API.oneRow).status == .ok)

            // Reviewers and admins read; the client and readers may not.
            for token in [s.client, s.reader] {
                #expect(try await API.send(client, .get, "/v2/guard/incidents", token: token).status == .forbidden)
            }
            #expect(try await API.send(client, .get, "/v2/guard/incidents", token: nil).status == .unauthorized)
            let list = try API.json(try await API.send(client, .get, "/v2/guard/incidents", token: reviewer).body)
            let incident = try #require(list["incidents"]?.arrayValue?.first)
            #expect(incident["id"] == "i1" && incident["type"] == "extraction" && incident["client"] == "app" && incident["client_id"] == "app")
            let steps = incident["actions"]?.arrayValue ?? []
            #expect(steps.map { $0["action"]?.stringValue } == ["block", "rollback", "fallback"], "\(incident)")
            #expect(steps.map { $0["outcome"]?.stringValue } == ["done", "skipped", "skipped"], "a --model file has no alias nor fallback")
            #expect(list["blocks"]?.arrayValue?.first?["client"] == "app" && list["blocks"]?.arrayValue?.first?["until"] == JSONValue.null)
            #expect(try API.json(try await API.send(client, .get, "/v2/guard/incidents/i1", token: admin).body)["id"] == "i1")
            #expect(try await API.send(client, .get, "/v2/guard/incidents/i99", token: admin).status == .notFound)
            #expect(try await API.send(client, .get, "/v2/guard/incidents?type=drift", token: admin).body.contains(#""incidents":[]"#))

            // Only admins unblock; then the client is served again.
            #expect(try await API.send(client, .delete, "/v2/guard/blocks/app", token: reviewer).status == .forbidden)
            #expect(try await API.send(client, .delete, "/v2/guard/blocks/app", token: admin).status == .ok)
            #expect(try await API.send(client, .delete, "/v2/guard/blocks/app", token: admin).status == .notFound)
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow).status == .ok)

            // A person blocks by hand, for a time.
            let blocked = try await API.send(client, .post, "/v2/guard/blocks", token: admin, #"{"client": "gus", "reason": "scraping", "seconds": 600}"#)
            #expect(blocked.status == .ok && blocked.body.contains("scraping"), "\(blocked.body)")
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.granted, API.oneRow).status == .forbidden)
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains("guard_blocked_clients 1") && metrics.contains(#"guard_rejections_total{reason="blocked"} 2"#), "\(metrics)")
        }
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 10_000)
        #expect(events.filter { $0.action == "playbook.block" }.first?.actor == "warden-gateway")
        #expect(events.filter { $0.action.hasPrefix("playbook.") }.count == 3)
        for action in ["guard.incident.list", "guard.incident.show", "guard.unblock", "guard.block"] {
            #expect(events.contains { $0.action == action && $0.actor != "warden-gateway" }, "\(action) is audited")
        }
        #expect(AuditChain().verify(events) == nil)
    }

    /// Blocks are kept in the store: a restarted gateway (a new router on the same store) still
    /// refuses the blocked clients, forgets expired and lifted blocks, and skips stored documents
    /// that do not read as a block.
    @Test func blocksSurviveARestart() async throws {
        let s = try await API.setup()
        defer { s.folder.remove() }
        let admin = try await s.server.registry.createToken(name: "ada", role: .admin, by: API.admin).plaintext
        try await Application(router: s.server.router()).test(.router) { client async throws in
            for body in [#"{"client": "app"}"#, #"{"client": "gus", "seconds": 600}"#, #"{"client": "eve", "seconds": 0.01}"#, #"{"client": "tom"}"#] {
                #expect(try await API.send(client, .post, "/v2/guard/blocks", token: admin, body).status == .ok)
            }
            #expect(try await API.send(client, .delete, "/v2/guard/blocks/tom", token: admin).status == .ok)
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow).status == .forbidden)
        }
        let store = s.server.registry.store
        let draft = AuditDraft(time: "2026-12-06T00:00:00Z", actor: "test", action: "test.document", subject: "guard/blocks", details: [:])
        for (id, value): (String, JSONValue) in [
            ("mallory", "garbage"), ("x", ["client": "y", "reason": "r", "by": "b", "lifted": false]),
            ("z", ["client": "z", "reason": "r", "by": "b", "until": "soon", "lifted": false]), ("w", ["client": "w", "by": "b", "lifted": false]),
        ] {
            try await store.saveDocument(GuardPersistence.kind, id, value, onlyIfAbsent: false, audit: draft)
        }
        try await Task.sleep(for: .milliseconds(50))
        // Restarted: the blocks in force are back, the rest is not.
        try await Application(router: s.server.router()).test(.router) { client async throws in
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow).status == .forbidden)
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.granted, API.oneRow).status == .forbidden)
            let list = try API.json(try await API.send(client, .get, "/v2/guard/incidents", token: admin).body)
            #expect(Set(list["blocks"]?.arrayValue?.compactMap { $0["client"]?.stringValue } ?? []) == ["app", "gus"], "\(list)")
            #expect(try await API.send(client, .delete, "/v2/guard/blocks/app", token: admin).status == .ok)
        }
        try await Application(router: s.server.router()).test(.router) { client async throws in
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow).status == .ok)
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.granted, API.oneRow).status == .forbidden)
        }
        let events = try await store.auditEvents(from: 1, limit: 10_000)
        #expect(events.filter { $0.action == "guard.block" }.count == 4 && events.filter { $0.action == "guard.unblock" }.count == 2)
        #expect(AuditChain().verify(events) == nil)
    }

    @Test func incidentAPIRefusesHostileBodies() async throws {
        let s = try await API.setup()
        defer { s.folder.remove() }
        let admin = try await s.server.registry.createToken(name: "ada", role: .admin, by: API.admin).plaintext
        try await Application(router: s.server.router()).test(.router) { client in
            let bad: [(String, String, HTTPResponse.Status)] = [
                ("/v2/guard/blocks", "{", .badRequest),
                ("/v2/guard/blocks", "[1]", .badRequest),
                ("/v2/guard/blocks", #"{"client": 7}"#, .badRequest),
                ("/v2/guard/blocks", #"{"client": ""}"#, .badRequest),
                ("/v2/guard/blocks", #"{"client": "a", "seconds": -1}"#, .badRequest),
                ("/v2/guard/blocks", #"{"client": "a", "seconds": 1e300}"#, .badRequest),
                ("/v2/guard/blocks", #"{"client": "a", "reason": []}"#, .badRequest),
                ("/v2/guard/blocks", #"{"client": ""# + String(repeating: "x", count: 5000) + #""}"#, .contentTooLarge),
                ("/v2/guard/rollback", #"{"model": "../etc"}"#, .badRequest),
                ("/v2/guard/rollback", #"{"model": "nope"}"#, .badRequest),
                ("/v2/guard/rollback", #"{"model": "lin", "alias": 3}"#, .badRequest),
            ]
            for (path, body, status) in bad {
                let reply = try await API.send(client, .post, path, token: admin, body)
                #expect(reply.status == status, "\(path) \(body.prefix(60)): \(reply.status) \(reply.body)")
                #expect(try API.json(reply.body)["error"]?.stringValue?.contains("\n") == false)
            }
            #expect(try await API.send(client, .delete, "/v2/guard/fallbacks/lin", token: admin).status == .notFound)
        }
    }

    @Test func playbookRollsTheAliasBackRevokesAndFallsBack() async throws {
        let s = try await API.setup {
            $0.extraction = Self.extraction()
            $0.models["lin-safe"] = $0.models["lin"]
            $0.playbook = Playbook(rules: [.init(types: ["extraction"], actions: [.revoke, .rollback, .fallback])], fallbacks: ["fraud": "lin-safe"])
        }
        defer { s.folder.remove() }
        let registry = s.server.registry
        _ = try await registry.createModel("fraud", by: API.admin)
        func add(_ bias: Float) async throws -> Int {
            let stored = try s.server.blobs.put(bytes: try API.modelBytes(bias: bias))
            let version = ModelVersion(
                model: "fraud", version: 0, artefacts: [.init(path: "model.onnx", digest: stored.digest, size: stored.size)], uploader: "", createdAt: 0,
                signature: .init(passed: true, detail: ""), scan: .init(highestSeverity: nil, findings: 0))
            return try await registry.addVersion(version, by: API.admin).version
        }
        let old = try await add(3), new = try await add(4)
        _ = try await registry.moveAlias("production", of: "fraud", to: old, by: API.admin)
        _ = try await registry.moveAlias("production", of: "fraud", to: new, by: API.admin)
        let admin = try await registry.createToken(name: "ada", role: .admin, by: API.admin).plaintext
        let otto = try await registry.createToken(name: "otto", role: .inferenceClient, by: API.admin).plaintext
        try await Application(router: s.server.router()).test(.router) { client in
            let first = try await API.send(client, .post, "/v2/models/fraud/infer", token: s.client, Guard.rows(30))
            let served = try API.json(first.body)["model_version"]
            #expect(first.status == .ok && served == .string(String(new)))
            // The token is revoked; the alias points at the old version; the name serves the fallback.
            #expect(try await API.send(client, .post, "/v2/models/fraud/infer", token: s.client, API.oneRow).status == .unauthorized)
            #expect(try await registry.store.aliases(of: "fraud")["production"] == old)
            let other = try API.json(try await API.send(client, .post, "/v2/models/fraud/infer", token: otto, API.oneRow).body)
            #expect(other["model_name"] == "lin-safe", "\(other)")
            // The versioned path still reaches fraud; restoring ends the fallback.
            #expect(try await API.send(client, .delete, "/v2/guard/fallbacks/fraud", token: admin).status == .ok)
            let incident = try API.json(try await API.send(client, .get, "/v2/guard/incidents/i1", token: admin).body)
            #expect(incident["actions"]?.arrayValue?.map { $0["outcome"]?.stringValue } == ["done", "done", "done"], "\(incident)")
            let restored = try API.json(try await API.send(client, .post, "/v2/models/fraud/infer", token: otto, API.oneRow).body)
            #expect(restored["model_name"] == "fraud" && restored["model_version"] == .string(String(old)), "\(restored)")
            // A person undoes the playbook's rollback (the alias's last move).
            let again = try await API.send(client, .post, "/v2/guard/rollback", token: admin, #"{"model": "fraud"}"#)
            #expect(again.status == .ok, "\(again.body)")
            #expect(try await registry.store.aliases(of: "fraud")["production"] == new)
            #expect(try await API.send(client, .post, "/v2/guard/rollback", token: otto, #"{"model": "fraud"}"#).status == .forbidden)
        }
        let events = try await registry.store.auditEvents(from: 1, limit: 10_000)
        #expect(events.contains { $0.action == "token.revoke" && $0.actor == "warden-gateway" })
        #expect(events.contains { $0.action == "alias.move" && $0.actor == "warden-gateway" && $0.details["to"] == JSONValue.int(Int64(old)) })
        #expect(events.filter { $0.action.hasPrefix("playbook.") }.count == 3)
    }

    @Test func driftOfInputsRaisesOneAlertAndFillsTheGauges() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var random = SeededGenerator(seed: 7)
        var csv = "a,b,c,label\n"
        for _ in 0..<400 {
            let row = (0..<3).map { _ in Double.random(in: -1...1, using: &random) }
            csv += row.map { String(format: "%.4f", $0) }.joined(separator: ",") + ",\(row[0] + 2 * row[1] + 3 * row[2] > 0 ? 0 : 1)\n"
        }
        let reference = try folder.write("reference.csv", Array(csv.utf8))
        let alerts = folder.url("alerts.jsonl")
        let s = try await API.setup {
            $0.extraction = nil
            $0.alertsFile = alerts
            $0.references = ["lin": .init(data: reference)]
            var policy = DriftWindow.Policy()
            policy.window = 100
            policy.every = 50
            $0.drift = policy
        }
        defer { s.folder.remove() }
        func batch(shift: Double) -> String {
            let data = (0..<50).flatMap { _ in (0..<3).map { index in Double.random(in: -1...1, using: &random) + (index == 0 ? shift : 0) } }
            return #"{"inputs": [{"name": "input", "shape": [50, 3], "datatype": "FP32", "data": [\#(data.map { String(format: "%.4f", $0) }.joined(separator: ","))]}]}"#
        }
        let calm = (0..<4).map { _ in batch(shift: 0) }, shifted = (0..<4).map { _ in batch(shift: 3) }
        try await Application(router: s.server.router()).test(.router) { client in
            for body in calm { #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, body).status == .ok) }
            #expect(try Guard.alertLines(alerts).isEmpty, "the reference's own distribution does not drift")
            var metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_drift_drifted_features{model="lin",version="1"} 0.0"#), "\(metrics)")
            for body in shifted { #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, body).status == .ok) }
            metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_drift_feature_psi{model="lin",version="1",feature="0"}"#))
            #expect(!metrics.contains(#"guard_drift_drifted_features{model="lin",version="1"} 0.0"#), "\(metrics)")
        }
        let lines = try Guard.alertLines(alerts)
        #expect(lines.count == 1, "one alert for one drift: \(lines)")
        let drift = try #require(lines.first)
        #expect(drift["type"] == "drift" && drift["client"] == "*" && drift["severity"] == "medium")
        #expect(drift["details"]?["drifted_features"]?.arrayValue?.first == 0, "\(drift)")
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 10_000)
        #expect(events.filter { $0.action == "guard.drift" }.count == 1)
    }

    @Test func trafficSplitSendsWeightedSharesAndCountsPerVersion() async throws {
        let s = try await API.setup {
            $0.models["lin-b"] = $0.models["lin"]
            $0.splits = ["lin": [.init(name: "lin", weight: 3), .init(name: "lin-b", weight: 1)]]
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            var served: [String: Int] = [:]
            for _ in 0..<8 {
                let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow)
                served[try API.json(reply.body)["model_name"]?.stringValue ?? "?", default: 0] += 1
            }
            #expect(served == ["lin": 6, "lin-b": 2], "\(served)")
            // An explicit version is never split.
            #expect(try API.json(try await API.send(client, .post, "/v2/models/lin/versions/1/infer", token: s.client, API.oneRow).body)["model_name"] == "lin")
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_split_requests_total{model="lin",target="lin-b"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"guard_version_requests_total{model="lin",version="1"} 7"#))
            #expect(metrics.contains(#"guard_version_rows_total{model="lin-b",version="1"} 2"#))
        }
        #expect(throws: WardenError.self) { try ServerConfiguration(yaml: "inference: {splits: {lin: {lin: 3}}}", source: "w") }
        #expect(throws: WardenError.self) { try ServerConfiguration(yaml: "inference: {splits: {lin: {a: 0, b: 1}}}", source: "w") }
        #expect(try ServerConfiguration(yaml: "inference: {splits: {fraud: {'3': 90, '4': 10}}}", source: "w").inference.splits["fraud"]?.count == 2)
    }

    @Test func modelFilesAreScannedAndTheirSignatureChecked() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let clean = try API.modelBytes()
        // A valid model that also imports a custom operator domain (ModelProto field 8, appended).
        let domain = Array("evil.ops".utf8)
        let opset: [UInt8] = [0x0A, UInt8(domain.count)] + domain + [0x10, 0x01]
        let risky = try folder.write("risky.onnx", clean + [0x42, UInt8(opset.count)] + opset)
        let good = try folder.write("good/good.onnx", clean)
        func server(_ change: (inout InferenceConfiguration) -> Void, keys: [PublicKey] = []) -> RegistryServer {
            let configuration = ServerConfiguration().with {
                $0.data = folder.url("data")
                change(&$0.inference)
            }
            return RegistryServer(
                registry: Registry(store: InMemoryRegistryStore(), gates: GatePolicy(aliases: [:])), blobs: BlobStore(root: folder.url("blobs")), trustedKeys: keys,
                configuration: configuration)
        }
        #expect(throws: WardenError.self) { try server { $0.models = ["risky": risky] }.checkInferenceModels() }
        do {
            _ = try server { $0.models = ["risky": risky] }.checkInferenceModels()
        } catch let error as WardenError {
            #expect(error.message.contains("Model 'risky'") && error.message.contains("onnx.custom-domain") && error.message.contains("--allow-unverified"), "\(error.message)")
        }
        #expect(try server({ $0.models = ["risky": risky]; $0.requireVerified = false }).checkInferenceModels() == ["risky"])

        // Signed with a key the server trusts: served; with another key, or changed after signing: refused.
        let key = SigningKey(generating: .p256)
        let bundle = try ModelSigner(key: key).sign(try ModelHasher(serialization: ModelSerialization()).manifest(for: good))
        let signature = try folder.write("good.sig", Array(bundle.jsonText.utf8))
        #expect(try server({ $0.models = ["good": good]; $0.signatures = ["good": signature] }, keys: [key.publicKey]).checkInferenceModels() == ["good"])
        let stranger = SigningKey(generating: .p256)
        #expect(throws: WardenError.self) {
            try server({ $0.models = ["good": good]; $0.signatures = ["good": signature] }, keys: [stranger.publicKey]).checkInferenceModels()
        }
        #expect(throws: WardenError.self) { try server({ $0.models = ["good": good]; $0.signatures = ["good": signature] }).checkInferenceModels() }
        try FileIO.writeAtomically(try API.modelBytes(bias: 9), to: good)
        #expect(throws: WardenError.self) {
            try server({ $0.models = ["good": good]; $0.signatures = ["good": signature] }, keys: [key.publicKey]).checkInferenceModels()
        }
    }

    @Test func wardenYAMLReadsTheResponseKeys() throws {
        let yaml = """
            inference:
              cef: {file: /tmp/a.cef, syslog_host: gw}
              webhook: {url: "http://127.0.0.1:9/hook", timeout: 2, retries: 1, backoff: 0.1, capacity: 10}
              drift: {window: 200, every: 20, psi: 0.3, alpha: 0.001}
              playbooks:
                block_seconds: 60
                fallbacks: {fraud: fraud-small}
                rules:
                  - {on: [extraction, adversarial], severity: medium, actions: [block, revoke]}
                  - {on: [drift], actions: [rollback]}
            """
        let inference = try ServerConfiguration(yaml: yaml, source: "w").inference
        #expect(inference.cefFile == "/tmp/a.cef" && inference.cefSyslogHost == "gw")
        #expect(inference.webhook?.url == "http://127.0.0.1:9/hook" && inference.webhook?.policy.retries == 1 && inference.webhook?.policy.capacity == 10)
        #expect(inference.drift?.window == 200 && inference.drift?.alpha == 0.001)
        #expect(inference.playbook.blockSeconds == 60 && inference.playbook.fallbacks == ["fraud": "fraud-small"])
        #expect(inference.playbook.rules.count == 2 && inference.playbook.rules[0].minimumSeverity == .medium && inference.playbook.rules[1].actions == [.rollback])
        for bad in [
            "inference: {webhook: 'ftp://x/y'}", "inference: {webhook: {url: 'http://h', retries: 99}}", "inference: {playbooks: {rules: [{actions: [block]}]}}",
            "inference: {playbooks: {rules: [{on: [extraction], actions: [explode]}]}}", "inference: {playbooks: {rules: [{on: [blocked], actions: [block]}]}}",
            "inference: {playbooks: {rules: [{on: [drift], severity: dire, actions: [block]}]}}", "inference: {drift: {window: 1}}", "inference: {cef: {syslog_host: x}}",
        ] {
            #expect(throws: WardenError.self, "\(bad)") { try ServerConfiguration(yaml: bad, source: "w") }
        }
    }
}
