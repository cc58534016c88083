import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenGuard
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// The gateway's detectors over HTTP: a client replaying near-identical queries is flagged for
/// extraction (alert line, audit event, metric) and then blocked (403), or has its token revoked
/// (401); rate-limit refusals reach the alert file once per quiet period; warden.yaml's
/// `extraction` and `alerts` keys.
struct InferenceGuardTests {
    typealias API = InferenceAPITests

    static func rows(_ count: Int) -> String {
        let data = (0..<count).map { _ in "1, 2, 3" }.joined(separator: ", ")
        return #"{"inputs": [{"name": "input", "shape": [\#(count), 3], "datatype": "FP32", "data": [\#(data)]}]}"#
    }

    static func alertLines(_ path: String) throws -> [JSONValue] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(decoding: FileIO.readAll(path), as: UTF8.self).split(separator: "\n").map { try JSONParser().parse(String($0)) }
    }

    static func policy(_ action: ExtractionDetector.Action) -> ExtractionDetector.Policy {
        var policy = ExtractionDetector.Policy()
        policy.action = action
        policy.minSamples = 20
        return policy
    }

    @Test func extractionFlagAlertsAuditsAndBlocks() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let alerts = folder.url("alerts.jsonl")
        let s = try await API.setup {
            $0.extraction = Self.policy(.block)
            $0.alertsFile = alerts
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            // Ten single-row requests: not enough samples yet.
            for _ in 0..<10 { #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(1)).status == .ok) }
            #expect(try Self.alertLines(alerts).isEmpty)
            // This batch completes the stream (answered), the next request is refused.
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(15)).status == .ok)
            let blocked = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(1))
            #expect(blocked.status == .forbidden, "\(blocked)")
            #expect(try API.json(blocked.body)["error"]?.stringValue?.contains("model extraction") == true)
            // Another client is served.
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.granted, Self.rows(1)).status == .ok)
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_extraction_alerts_total{detector="prada"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"guard_rejections_total{reason="blocked"} 1"#))
        }
        let lines = try Self.alertLines(alerts)
        #expect(lines.count == 2, "\(lines)")
        let extraction = try #require(lines.first)
        #expect(extraction["type"]?.stringValue == "extraction" && extraction["client"]?.stringValue == "app" && extraction["model"]?.stringValue == "lin")
        #expect(extraction["time"]?.stringValue?.hasSuffix("Z") == true)
        #expect(extraction["details"]?["reasons"]?.arrayValue?.contains("prada") == true)
        #expect(extraction["details"]?["action"]?.stringValue == "block")
        #expect(lines.last?["type"]?.stringValue == "blocked")
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "guard.extraction" }
        #expect(events.count == 1 && events.first?.details["client"]?.stringValue == "app")
    }

    @Test func revokeActionRevokesTheToken() async throws {
        let s = try await API.setup { $0.extraction = Self.policy(.revoke) }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(30)).status == .ok)
            let refused = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(1))
            #expect(refused.status == .unauthorized, "\(refused)")
        }
        let revocations = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "token.revoke" }
        #expect(revocations.count == 1 && revocations.first?.actor == "warden-gateway")
    }

    @Test func detectionOffAndRateLimitAlertsOncePerQuietPeriod() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let alerts = folder.url("alerts.jsonl")
        let s = try await API.setup {
            $0.extraction = nil
            $0.alertsFile = alerts
            $0.rate = RateLimiter.Policy(ratePerSecond: 0.001, burst: 1)
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            let first = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(40))
            #expect(first.status == .ok)
            for _ in 0..<3 {
                let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.rows(1))
                #expect(reply.status == .tooManyRequests)
            }
        }
        let lines = try Self.alertLines(alerts)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?["type"]?.stringValue == "rate_limit" && lines.first?["details"]?["reason"]?.stringValue == "rate_limited")
    }

    @Test func outputHardeningAppliesPerModel() async throws {
        for (spec, expected) in [("label", [1.0, 0.0]), ("round=3", [0.999, 0.001])] {
            let s = try await API.setup { $0.hardening = ["lin": try! OutputHardening(spec: spec)] }
            defer { s.folder.remove() }
            try await Application(router: s.server.router()).test(.router) { client in
                let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, API.oneRow)
                let data = try API.json(reply.body)["outputs"]?.arrayValue?.first?["data"]?.arrayValue?.compactMap(\.doubleValue)
                #expect(data == expected, "\(spec): \(reply.body)")
            }
        }
        #expect(throws: WardenError.self) { try ServerConfiguration(yaml: "inference: {hardening: {lin: top-k=0}}", source: "w") }
        #expect(try ServerConfiguration(yaml: "inference: {hardening: {lin: 'top-k=2,round=1'}}", source: "w").inference.hardening["lin"]?.topK == 2)
    }

    @Test func slowBodiesAnswer408AndTheConcurrencyCap503() async throws {
        await #expect(throws: InferenceError.self) {
            try await InferenceAPI.within(seconds: 0.05) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        do {
            _ = try await InferenceAPI.within(seconds: 0.05) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        } catch let error as InferenceError {
            #expect(error.status == .requestTimeout && error.reason == "timeout" && error.retryAfter == nil)
            let response = error.response()
            #expect(response.status == .requestTimeout && response.headers[.connection] == "close")
        }
        #expect(try await InferenceAPI.within(seconds: 5) { 7 } == 7)
        let limiter = ConcurrencyLimiter(limit: 2)
        #expect(limiter.enter() && limiter.enter() && !limiter.enter())
        limiter.leave()
        #expect(limiter.enter() && limiter.current == 2)
        let c = try ServerConfiguration(yaml: "inference: {max_concurrent: 3, request_timeout: 1.5}", source: "w")
        #expect(c.inference.maxConcurrent == 3 && c.inference.requestTimeout == 1.5)
    }

    @Test func configurationReadsExtractionAndAlerts() throws {
        let c = try ServerConfiguration(
            yaml: "inference: {alerts: /tmp/a.jsonl, extraction: {action: throttle, delta: 0.85, min_samples: 50, max_volume: 1000, throttle_seconds: 2.5}}",
            source: "warden.yaml")
        #expect(c.inference.alertsFile == "/tmp/a.jsonl")
        #expect(c.inference.extraction?.action == .throttle && c.inference.extraction?.delta == 0.85)
        #expect(c.inference.extraction?.minSamples == 50 && c.inference.extraction?.maxVolume == 1000 && c.inference.extraction?.throttleSeconds == 2.5)
        #expect(try ServerConfiguration(yaml: "inference: {extraction: false}", source: "w").inference.extraction == nil)
        #expect(try ServerConfiguration(yaml: "", source: "w").inference.extraction?.action == .alert)
        for (yaml, mention) in [
            ("inference: {extraction: {action: nuke}}", "use alert, throttle, block or revoke"),
            ("inference: {extraction: {delta: 2}}", "inference.extraction.delta"),
            ("inference: {extraction: {dleta: 0.9}}", "unknown key 'inference.extraction.dleta'"),
        ] {
            #expect(throws: WardenError.self) { try ServerConfiguration(yaml: yaml, source: "w") }
            do {
                _ = try ServerConfiguration(yaml: yaml, source: "w")
            } catch {
                #expect("\(error)".contains(mention), "\(error)")
            }
        }
    }
}
