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

/// Upstream mode: a gateway proxying `/v2/models/NAME` to another KServe-v2 server. Against a real
/// upstream (a second warden serving the model on another port): the same answers as the upstream,
/// with authentication, validation (bad inputs never reach the upstream), adversarial screening,
/// hardening and the prediction audit applied by the gateway. Against hostile upstreams (a raw
/// socket server): malformed JSON, endless bodies, late answers, errors, lying outputs and a closed
/// port each give the right 502/504 with the protocol's error JSON, promptly, and no crash.
@Suite(.serialized) struct InferenceUpstreamTests {
    typealias API = InferenceAPITests

    /// A second warden serving `lin` openly on a free loopback port.
    static func startUpstream() async throws -> (RunningServer, RegistryServer, TemporaryDirectory) {
        let folder = try TemporaryDirectory()
        let path = try folder.write("lin.onnx", try API.modelBytes())
        let configuration = ServerConfiguration().with {
            $0.data = folder.path
            $0.inference.models = ["lin": path]
            $0.inference.anonymous = true
            $0.inference.extraction = nil
        }
        let registry = Registry(store: InMemoryRegistryStore(), gates: GatePolicy(aliases: [:]), clock: .system)
        let server = RegistryServer(registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: configuration)
        var logger = Logger(label: "upstream")
        logger.logLevel = .critical
        return (try await server.start(logger: logger), server, folder)
    }

    static func gateway(_ url: String, timeout: Double = 10, maxResponseBytes: Int = 16 << 20, _ change: (inout InferenceConfiguration) -> Void = { _ in })
        async throws -> API.Setup
    {
        try await API.setup {
            $0.models = [:]
            var upstream = try! InferenceConfiguration.Upstream(name: "lin", url: url)
            upstream.timeout = timeout
            upstream.maxResponseBytes = maxResponseBytes
            $0.upstreams = ["lin": upstream]
            change(&$0)
        }
    }

    @Test func proxiesARealUpstreamWithEveryProtection() async throws {
        let (running, upstream, upstreamFolder) = try await Self.startUpstream()
        defer {
            running.stop()
            upstreamFolder.remove()
        }
        // Reference data for the Mahalanobis rule (no squeezing: no extra upstream calls).
        var random = SeededGenerator(seed: 5)
        var csv = "a,b,c,label\n"
        for _ in 0..<200 {
            let x = (0..<3).map { _ in Double.random(in: 0...1, using: &random) }
            csv += "\(x[0]),\(x[1]),\(x[2]),\(x[0] > 0.5 ? 1 : 0)\n"
        }
        let referenceFolder = try TemporaryDirectory()
        defer { referenceFolder.remove() }
        let reference = try referenceFolder.write("reference.csv", Array(csv.utf8))
        let s = try await Self.gateway("http://127.0.0.1:\(running.port)/v2/models/lin") {
            var policy = AdversarialDetector.Policy()
            policy.action = .reject
            $0.adversarial = policy
            $0.references = ["lin": .init(data: reference, label: "label")]
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            #expect(try await API.send(client, .get, "/v2/health/ready", token: nil).status == .ok)
            let metadata = try API.json(try await API.send(client, .get, "/v2/models/lin", token: s.client).body)
            #expect(metadata["name"] == "lin" && metadata["versions"] == ["1"] && metadata["platform"] == "onnx", "\(metadata)")
            #expect(metadata["inputs"] == [["name": "input", "datatype": "FP32", "shape": [-1, 3]]])
            #expect(metadata["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [-1, 2]]])
            #expect(try await API.send(client, .get, "/v2/models/lin/ready", token: s.client).status == .ok)
            #expect(try await API.send(client, .get, "/v2/models/lin/versions/1/ready", token: s.client).status == .ok)
            #expect(try await API.send(client, .get, "/v2/models/lin/versions/2", token: s.client).status == .notFound)

            // The upstream's answer, checked and passed on; the id goes both ways.
            let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, #"{"id": "req-7", "inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [0.5, 0.5, 0.5]}]}"#)
            #expect(reply.status == .ok, "\(reply)")
            let answer = try API.json(reply.body)
            #expect(answer["model_name"] == "lin" && answer["model_version"] == "1" && answer["id"] == "req-7")
            #expect(answer["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [.double(3.5), .double(-0.5)]]], "\(answer)")

            // The gateway's own checks: no token, wrong dtype, wrong width, out of distribution.
            let body = #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [0.5, 0.5, 0.5]}]}"#
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: nil, body).status == .unauthorized)
            #expect(try await API.send(client, .post, "/v2/models/lin/infer", token: s.reader, body).status == .forbidden)
            let wrongType = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "INT64", "data": [1, 2, 3]}]}"#)
            #expect(wrongType.status == .badRequest && wrongType.body.contains("input"), "\(wrongType)")
            let wrongWidth = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, #"{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}"#)
            #expect(wrongWidth.status == .badRequest, "\(wrongWidth)")
            let far = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [90, -90, 90]}]}"#)
            #expect(far.status == .badRequest && far.body.contains("mahalanobis"), "\(far)")
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_adversarial_detections_total{detector="mahalanobis"} 1"#), "\(metrics)")
        }
        // The gateway audited the two served predictions with the upstream model's digest.
        await s.server.auditQueue.drain()
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }
        #expect(events.count == 1 && events.first?.subject == "lin/1" && events.first?.details["client"] == .string("app"))
        #expect(events.first?.details["model_digest"]?.stringValue?.hasPrefix("sha256:") == true)
        // Refused requests never reached the upstream: it ran the two screened requests and nothing
        // else (without squeezing, calibration needs no upstream call).
        await upstream.auditQueue.drain()
        let upstreamEvents = try await upstream.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }
        #expect(upstreamEvents.count == 2, "\(upstreamEvents.map(\.details))")
        #expect(upstreamEvents.allSatisfy { $0.details["rows"] == 1 })
    }

    @Test func squeezingReQueriesTheUpstreamOnlyWhenAskedTo() async throws {
        let (running, upstream, upstreamFolder) = try await Self.startUpstream()
        defer {
            running.stop()
            upstreamFolder.remove()
        }
        var csv = "a,b,c,label\n"
        for index in 0..<50 { csv += "\(Double(index % 10) / 10),0.5,\(Double(index % 7) / 7),\(index % 2)\n" }
        let referenceFolder = try TemporaryDirectory()
        defer { referenceFolder.remove() }
        let reference = try referenceFolder.write("reference.csv", Array(csv.utf8))
        let s = try await Self.gateway("http://127.0.0.1:\(running.port)/v2/models/lin") {
            $0.adversarial = AdversarialDetector.Policy()
            $0.references = ["lin": .init(data: reference, label: "label")]
            $0.upstreams["lin"]?.squeeze = true
        }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
            #expect(reply.status == .ok, "\(reply)")
        }
        // The request's row, then calibration on first use (the reference rows and their
        // bit-depth-squeezed copy, 50 rows each), then the row's squeezed copy.
        await upstream.auditQueue.drain()
        let rows = try await upstream.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }.compactMap { $0.details["rows"]?.intValue }
        #expect(rows == [1, 50, 50, 1], "\(rows)")
    }

    /// Valid metadata for `lin`, whatever the path names.
    static let metadata = #"{"name": "lin", "versions": ["1"], "platform": "x", "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3]}], "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 2]}]}"#
    static let oneRow = #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [0.5, 0.5, 0.5]}]}"#

    @Test func hostileUpstreamsGetTheRightErrors() async throws {
        let hostile = try HostileUpstream { method, path in
            let parts = path.split(separator: "/")
            let model = parts.count > 2 ? String(parts[2]) : ""
            if method == "GET" {
                if model == "badmeta" { return .reply(200, #"{"inputs": "#) }
                if model == "bytesout" { return .reply(200, Self.metadata.replacingOccurrences(of: #""datatype": "FP32", "shape": [-1, 2]"#, with: #""datatype": "BYTES", "shape": [-1]"#)) }
                return path.hasSuffix("/ready") ? .reply(200, #"{"ready": true}"#) : .reply(200, Self.metadata)
            }
            switch model {
            case "good": return .reply(200, #"{"model_name": "lin", "outputs": [{"name": "logits", "datatype": "FP64", "shape": [1, 2], "data": [1.5, -2]}]}"#)
            case "garbage": return .reply(200, #"{"outputs": [{"name": "logits", "#)
            case "notjson": return .reply(200, "<html>oops</html>")
            case "huge": return .endless(megabytes: 64)
            case "lying": return .raw("HTTP/1.1 200 OK\r\nContent-Length: 900000000\r\nConnection: close", "{}")
            case "slow": return .late(3, 200, "{}")
            case "fail": return .reply(500, #"{"error": "model crashed\n<script>"}"#)
            case "shape": return .reply(200, #"{"outputs": [{"name": "logits", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}"#)
            case "rows": return .reply(200, #"{"outputs": [{"name": "logits", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]}]}"#)
            case "dtype": return .reply(200, #"{"outputs": [{"name": "logits", "datatype": "INT64", "shape": [1, 2], "data": [1, 2]}]}"#)
            case "count": return .reply(200, #"{"outputs": [{"name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [1]}]}"#)
            case "missing": return .reply(200, #"{"outputs": [{"name": "other", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}"#)
            case "twice": return .reply(200, #"{"outputs": [{"name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}, {"name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]}"#)
            default: return .hangUp
            }
        }
        defer { hostile.stop() }
        let base = "http://127.0.0.1:\(hostile.port)/v2/models/"
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("good", .ok, ""),
            ("garbage", .badGateway, "not JSON"), ("notjson", .badGateway, "not JSON"),
            ("huge", .badGateway, "over 1048576 bytes"), ("lying", .badGateway, "over 1048576 bytes"),
            ("slow", .gatewayTimeout, "within 0.5 s"), ("fail", .badGateway, "HTTP 500: model crashed"),
            ("shape", .badGateway, "shape [1, 3]"), ("rows", .badGateway, "2 rows for 1"), ("dtype", .badGateway, "INT64"),
            ("count", .badGateway, "1 values"), ("missing", .badGateway, "lacks output 'logits'"), ("twice", .badGateway, "twice"),
            ("hangup", .badGateway, "could not be reached"), ("badmeta", .badGateway, "metadata is not JSON"),
            ("bytesout", .badGateway, "BYTES"),
        ]
        let residentBefore = Self.residentMiB()
        for (model, status, text) in cases {
            let s = try await Self.gateway(base + model, timeout: 0.5, maxResponseBytes: 1 << 20)
            defer { s.folder.remove() }
            try await Application(router: s.server.router()).test(.router) { client in
                let started = ContinuousClock.now
                let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
                #expect(reply.status == status && (text.isEmpty || reply.body.contains(text)), "\(model): \(reply)")
                #expect(ContinuousClock.now - started < .seconds(3), "\(model) took too long")
                if status != .ok {
                    let error = try API.json(reply.body)
                    #expect(error.objectValue?.map(\.0) == ["error"] && !reply.body.contains("127.0.0.1") && !reply.body.contains("<script>"), "\(model): \(reply.body)")
                } else {
                    #expect(try API.json(reply.body)["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [.double(1.5), -2]]])
                }
            }
        }
        // The endless body was read only up to the limit.
        #expect(Self.residentMiB() - residentBefore < 200, "resident memory grew by \(Self.residentMiB() - residentBefore) MiB")
    }

    @Test func downOrBrokenUpstreamsAreNotReady() async throws {
        // A port nothing listens on: 502 promptly, readiness false, and the server keeps serving.
        let closed = try HostileUpstream { _, _ in .hangUp }
        let port = closed.port
        closed.stop()
        let s = try await Self.gateway("http://127.0.0.1:\(port)", timeout: 5)
        defer { s.folder.remove() }
        #expect(await s.server.checkUpstreams().first?.problem?.contains("could not be reached") == true)
        try await Application(router: s.server.router()).test(.router) { client in
            let started = ContinuousClock.now
            let reply = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
            #expect(reply.status == .badGateway && reply.body.contains("could not be reached"), "\(reply)")
            #expect(ContinuousClock.now - started < .seconds(4))
            #expect(try await API.send(client, .get, "/v2/health/ready", token: nil).status == .badRequest)
            #expect(try await API.send(client, .get, "/v2/models/lin/ready", token: s.client).status == .badGateway)
            #expect(try await API.send(client, .get, "/v2/health/live", token: nil).status == .ok)
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"reason="upstream_unavailable""#), "\(metrics)")
        }
        // An upstream that says it is not ready.
        let unready = try HostileUpstream { _, path in path.hasSuffix("/ready") ? .reply(200, #"{"name": "lin", "ready": false}"#) : .reply(200, Self.metadata) }
        defer { unready.stop() }
        let t = try await Self.gateway("http://127.0.0.1:\(unready.port)/v2/models/lin")
        defer { t.folder.remove() }
        try await Application(router: t.server.router()).test(.router) { client in
            let ready = try await API.send(client, .get, "/v2/models/lin/ready", token: t.client)
            #expect(ready.status == .serviceUnavailable && ready.body.contains("false"), "\(ready)")
            #expect(try await API.send(client, .get, "/v2/health/ready", token: nil).status == .badRequest)
        }
    }

    @Test func upstreamURLsAndConfiguration() throws {
        let plain = try InferenceConfiguration.Upstream(name: "fraud", url: "http://10.0.0.5:9000")
        #expect(plain.base == "http://10.0.0.5:9000" && plain.model == "fraud" && plain.version == nil && plain.modelURL == "http://10.0.0.5:9000/v2/models/fraud")
        let full = try InferenceConfiguration.Upstream(name: "fraud", url: "https://triton:8000/v2/models/fraud_v2/versions/3/")
        #expect(full.base == "https://triton:8000" && full.model == "fraud_v2" && full.version == "3")
        for bad in ["ftp://x:1", "http://", "http://user@x:1", "http://x:99999", "http://x:1/v1/models/a", "http://x:1/v2/models/a b", "http://x:1/v2/models/a/ready", "x:1"] {
            #expect(throws: WardenError.self, "\(bad)") { try InferenceConfiguration.Upstream(name: "m", url: bad) }
        }
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let yaml = try folder.write(
            "warden.yaml",
            Array("""
                inference:
                  upstreams:
                    a: http://127.0.0.1:9000/v2/models/alpha
                    b: {url: "http://127.0.0.1:9001", timeout: 2.5, max_response_bytes: 4096, squeeze: true}
                """.utf8))
        let configuration = try ServerConfiguration(file: yaml)
        #expect(configuration.inference.upstreams["a"]?.model == "alpha" && configuration.inference.upstreams["a"]?.squeeze == false)
        let b = try #require(configuration.inference.upstreams["b"])
        #expect(b.model == "b" && b.timeout == 2.5 && b.maxResponseBytes == 4096 && b.squeeze)
        let wrong = try folder.write("bad.yaml", Array("inference:\n  upstreams:\n    a: {url: \"http://x:1\", retries: 3}\n".utf8))
        #expect(throws: WardenError.self) { try ServerConfiguration(file: wrong) }
    }

    static func residentMiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8), let pages = Int(text.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) >> 20
    }
}
