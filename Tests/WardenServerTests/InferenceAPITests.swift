import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import WardenCore
import WardenCrypto
import WardenGuard
import WardenModels
import WardenRegistry
import WardenTensor
import WardenTesting

@testable import WardenServer

/// The Open Inference Protocol gateway on a real exported ONNX model (`y = W·x + b`, known answers):
/// health, metadata, inference (flat and nested data, `id`, output selection), authentication and
/// grants, hostile bodies (always a one-line 4xx `{"error"}`), limits (413, 429 with Retry-After,
/// daily budget), registry models behind the signature and scan policy and alias moves, audit
/// entries, metrics, and one live HTTP round trip.
struct InferenceAPITests {
    static let admin = Principal(id: "root", name: "root", roles: [.admin])

    /// `logits = [x0 + 2·x1 + 3·x2 + 0.5, −x1]`, exported by Warden's ONNX exporter.
    static func modelBytes(bias: Float = 0.5) throws -> [UInt8] {
        let dense = try Dense(weight: try Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, -1, 0]), bias: try Tensor(shape: [2], scalars: [bias, 0]))
        return try ONNXExporter.export(Sequential([dense]), inputShape: [3], metadata: [(ModelSchema.rangesMetadataKey, #"{"input": [[-100, 100], [-100, 100], [-100, 100]]}"#)])
    }

    struct Setup {
        var folder: TemporaryDirectory
        var server: RegistryServer
        var client: String
        var reader: String
        var granted: String
    }

    static func setup(clock: WardenClock = .system, _ change: (inout InferenceConfiguration) -> Void = { _ in }) async throws -> Setup {
        let folder = try TemporaryDirectory()
        let path = try folder.write("lin.onnx", try modelBytes())
        let configuration = ServerConfiguration().with {
            $0.data = folder.path
            $0.inference.models = ["lin": path]
            change(&$0.inference)
        }
        let registry = Registry(store: InMemoryRegistryStore(), gates: GatePolicy(aliases: [:]), clock: clock)
        let server = RegistryServer(registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: configuration)
        let client = try await registry.createToken(name: "app", role: .inferenceClient, by: admin).plaintext
        let reader = try await registry.createToken(name: "rita", role: .reader, by: admin).plaintext
        let granted = try await registry.createToken(name: "gus", role: .inferenceClient, models: ["lin"], by: admin).plaintext
        return Setup(folder: folder, server: server, client: client, reader: reader, granted: granted)
    }

    typealias Reply = (status: HTTPResponse.Status, body: String, headers: HTTPFields)

    static func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, token: String?, _ body: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            (response.status, String(buffer: response.body), response.headers)
        }
    }

    static func json(_ text: String) throws -> JSONValue { try JSONParser().parse(text) }

    static let oneRow = #"{"id": "req-7", "inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#

    @Test func healthMetadataAndKnownAnswers() async throws {
        let s = try await Self.setup()
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            #expect(try await Self.send(client, .get, "/v2/health/live", token: nil).status == .ok)
            #expect(try await Self.send(client, .get, "/v2/health/ready", token: nil).status == .ok)
            let server = try Self.json(try await Self.send(client, .get, "/v2", token: nil).body)
            #expect(server["name"]?.stringValue == "warden" && server["extensions"]?.arrayValue != nil)

            let metadata = try Self.json(try await Self.send(client, .get, "/v2/models/lin", token: s.client).body)
            #expect(metadata["name"]?.stringValue == "lin" && metadata["versions"] == ["1"] && metadata["platform"] == "onnx")
            #expect(metadata["inputs"] == [["name": "input", "datatype": "FP32", "shape": [-1, 3]]])
            #expect(metadata["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [-1, 2]]])
            #expect(try await Self.send(client, .get, "/v2/models/lin/versions/1", token: s.client).status == .ok)
            #expect(try await Self.send(client, .get, "/v2/models/lin/ready", token: s.client).status == .ok)
            #expect(try await Self.send(client, .get, "/v2/models/lin/versions/2/ready", token: s.client).status == .notFound)

            let reply = try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
            #expect(reply.status == .ok, "\(reply.body)")
            let answer = try Self.json(reply.body)
            #expect(answer["model_name"] == "lin" && answer["model_version"] == "1" && answer["id"] == "req-7")
            #expect(answer["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [1, 2], "data": [.double(6.5), -1]]])

            // Nested data, two rows, through the versioned path and with an output selection.
            let nested = #"{"inputs": [{"name": "input", "shape": [2, 3], "datatype": "FP32", "data": [[0, 2, 0], [0.25, 0, 0]]}], "outputs": [{"name": "logits"}]}"#
            let two = try Self.json(try await Self.send(client, .post, "/v2/models/lin/versions/1/infer", token: s.granted, nested).body)
            #expect(two["outputs"]?.arrayValue?.first?["data"] == [.double(4.5), -2, .double(0.75), 0])
            #expect(two.objectValue?.contains { $0.0 == "id" } == false)
        }
        // Every prediction is in the audit chain with its input digest, output and client.
        await s.server.auditQueue.drain()
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }
        #expect(events.count == 2)
        let first = try #require(events.first)
        #expect(first.actor == "app" && first.subject == "lin/1")
        #expect(first.details["input_digest"]?.stringValue?.hasPrefix("sha256:") == true)
        #expect(first.details["output"]?.arrayValue?.first?["data"] == [.double(6.5), -1])
        #expect(first.details["request_id"] == "req-7" && first.details["rows"] == 1)
    }

    @Test func authenticationAndGrants() async throws {
        let s = try await Self.setup()
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            for (token, expected) in [(nil, HTTPResponse.Status.unauthorized), ("wdn_000000000000_" + String(repeating: "A", count: 43), .unauthorized), (s.reader, .forbidden)] {
                let reply = try await Self.send(client, .post, "/v2/models/lin/infer", token: token, Self.oneRow)
                #expect(reply.status == expected, "\(reply.body)")
                #expect(try Self.json(reply.body)["error"]?.stringValue != nil, "\(reply.body)")
            }
            #expect(try await Self.send(client, .get, "/v2/models/lin", token: nil).status == .unauthorized)
            #expect(try await Self.send(client, .get, "/v2/models/nope", token: s.client).status == .notFound)
        }
        let denials = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "auth.denied" }
        #expect(denials.contains { $0.actor == "rita" })

        // Anonymous access to --model files when configured; registry models still need a token.
        let open = try await Self.setup { $0.anonymous = true }
        defer { open.folder.remove() }
        try await Application(router: open.server.router()).test(.router) { client in
            let reply = try await Self.send(client, .post, "/v2/models/lin/infer", token: nil, Self.oneRow)
            #expect(reply.status == .ok, "\(reply.body)")
        }
        await open.server.auditQueue.drain()
        let events = try await open.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }
        #expect(events.map(\.actor) == ["anonymous"])
    }

    static let hostileBodies: [(String, String)] = [
        ("empty", ""), ("truncated", #"{"inputs": [{"name": "input", "shape": [1, 3]"#), ("not an object", "[1, 2]"), ("no inputs", "{}"),
        ("empty inputs", #"{"inputs": []}"#), ("bad utf-8", "\u{FFFD}{"),
        ("wrong datatype", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "INT64", "data": [1, 1, 1]}]}"#),
        ("unknown datatype", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP33", "data": [1, 1, 1]}]}"#),
        ("unsupported datatype", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP16", "data": [1, 1, 1]}]}"#),
        ("string data", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, "a", 1]}]}"#),
        ("short data", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1]}]}"#),
        ("long data", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1, 1]}]}"#),
        ("wrong width", #"{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 1, 1, 1]}]}"#),
        ("huge shape", #"{"inputs": [{"name": "input", "shape": [1000000000000, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#),
        ("overflowing shape", #"{"inputs": [{"name": "input", "shape": [4294967296, 4294967296, 4294967296], "datatype": "FP32", "data": []}]}"#),
        ("negative shape", #"{"inputs": [{"name": "input", "shape": [-1, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#),
        ("fractional shape", #"{"inputs": [{"name": "input", "shape": [1.5, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#),
        ("NaN literal", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [NaN, 1, 1]}]}"#),
        ("float overflow", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1e39, 1, 1]}]}"#),
        ("out of range", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1000, 1, 1]}]}"#),
        ("unknown input", #"{"inputs": [{"name": "other", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#),
        ("unknown output", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}], "outputs": [{"name": "secret"}]}"#),
        ("numeric id", #"{"id": 5, "inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}]}"#),
        ("deep nesting", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": "# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}]}"),
        ("binary extension", #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "parameters": {"binary_data_size": 12}, "data": []}]}"#),
        ("batch over limit", #"{"inputs": [{"name": "input", "shape": [5, 3], "datatype": "FP32", "data": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}"#),
    ]

    @Test func hostileBodiesAreOneLine4xx() async throws {
        let s = try await Self.setup { $0.limits.maxBatch = 4; $0.maxBodyBytes = 4096 }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            for (name, body) in Self.hostileBodies {
                let reply = try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, body)
                #expect((400..<500).contains(reply.status.code), "\(name): \(reply.status) \(reply.body)")
                let error = try? Self.json(reply.body)["error"]?.stringValue
                #expect(error != nil && !reply.body.contains("\n"), "\(name): \(reply.body)")
            }
            let big = #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1"# + String(repeating: ", 1", count: 3000) + "]}]}"
            #expect(try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, big).status == .contentTooLarge)
            // The server still answers correctly afterwards.
            #expect(try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow).status == .ok)
            let metrics = try await Self.send(client, .get, "/metrics", token: nil)
            #expect(metrics.body.contains(#"guard_requests_total{model="lin",code="200"} 1"#), "\(metrics.body)")
            #expect(metrics.body.contains(#"guard_rejections_total{reason="invalid_input"}"#))
            #expect(metrics.body.contains(#"guard_request_duration_seconds_count{model="lin"}"#))
            #expect(metrics.body.contains(#"guard_predicted_rows_total{model="lin"} 1"#))
        }
        await s.server.auditQueue.drain()
        let predictions = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "inference.predict" }
        #expect(predictions.count == 1)
    }

    final class ManualClock: Sendable {
        let time = Mutex<TimeInterval>(1_800_000_000)
        var clock: WardenClock { WardenClock { Date(timeIntervalSince1970: self.time.withLock { $0 }) } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    @Test func rateLimitAndDailyBudgetAnswer429WithRetryAfter() async throws {
        let time = ManualClock()
        let s = try await Self.setup(clock: time.clock) { $0.rate = RateLimiter.Policy(ratePerSecond: 1, burst: 2, dailyBudget: 5) }
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            for _ in 0..<2 { #expect(try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow).status == .ok) }
            let limited = try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] == "1", "\(limited)")
            #expect(try Self.json(limited.body)["error"]?.stringValue?.contains("rate limit") == true)
            // Another principal is not affected.
            #expect(try await Self.send(client, .post, "/v2/models/lin/infer", token: s.granted, Self.oneRow).status == .ok)
            time.advance(10)
            let three = #"{"inputs": [{"name": "input", "shape": [3, 3], "datatype": "FP32", "data": [1,1,1,1,1,1,1,1,1]}]}"#
            let over = try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, three + "")
            #expect(over.status == .ok)  // 2 + 3 rows = the budget of 5
            time.advance(10)
            let spent = try await Self.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.oneRow)
            #expect(spent.status == .tooManyRequests && spent.body.contains("budget"), "\(spent.body)")
            #expect(Int(spent.headers[.retryAfter] ?? "") ?? 0 > 3600)
        }
    }

    @Test func registryModelsNeedASignatureAndACleanScanAndFollowTheAlias() async throws {
        let s = try await Self.setup()
        defer { s.folder.remove() }
        let registry = s.server.registry
        _ = try await registry.createModel("fraud", by: Self.admin)
        func add(_ bytes: [UInt8], signed: Bool, severity: String?) async throws -> Int {
            let stored = try s.server.blobs.put(bytes: bytes)
            let version = ModelVersion(
                model: "fraud", version: 0, artefacts: [.init(path: "model.onnx", digest: stored.digest, size: stored.size)], uploader: "", createdAt: 0,
                signature: .init(passed: signed, detail: ""), scan: .init(highestSeverity: severity, findings: severity == nil ? 0 : 1))
            return try await registry.addVersion(version, by: Self.admin).version
        }
        let unsigned = try await add(try Self.modelBytes(bias: 1), signed: false, severity: nil)
        let risky = try await add(try Self.modelBytes(bias: 2), signed: true, severity: "high")
        let good = try await add(try Self.modelBytes(bias: 3), signed: true, severity: "low")
        let better = try await add(try Self.modelBytes(bias: 4), signed: true, severity: nil)
        _ = try await registry.moveAlias("production", of: "fraud", to: good, by: Self.admin)
        try await Application(router: s.server.router()).test(.router) { client in
            func first(_ path: String) async throws -> JSONValue? {
                let reply = try await Self.send(client, .post, path, token: s.client, Self.oneRow)
                #expect(reply.status == .ok, "\(path): \(reply.body)")
                return try Self.json(reply.body)["outputs"]?.arrayValue?.first?["data"]?.arrayValue?.first
            }
            #expect(try await first("/v2/models/fraud/infer") == 9)
            for version in [unsigned, risky] {
                let reply = try await Self.send(client, .post, "/v2/models/fraud/versions/\(version)/infer", token: s.client, Self.oneRow)
                #expect(reply.status == .conflict && reply.body.contains("not served"), "\(reply.body)")
            }
            #expect(try await Self.send(client, .post, "/v2/models/fraud@staging/infer", token: s.client, Self.oneRow).status == .notFound)
            // The alias moves: the next request serves the new version.
            _ = try await registry.moveAlias("production", of: "fraud", to: better, by: Self.admin)
            #expect(try await first("/v2/models/fraud/infer") == 10)
            #expect(try Self.json(try await Self.send(client, .get, "/v2/models/fraud", token: s.client).body)["versions"] == [.string(String(better))])
            // Registry models never serve without a token, whatever the anonymous setting.
            #expect(try await Self.send(client, .post, "/v2/models/fraud/infer", token: nil, Self.oneRow).status == .unauthorized)
        }
        // A stored artefact changed on disk is refused, not run.
        let tampered = try await add(try Self.modelBytes(bias: 5), signed: true, severity: nil)
        let version = try #require(try await registry.store.version("fraud", tampered))
        try FileIO.writeAtomically(try Self.modelBytes(bias: 6), to: s.server.blobs.path(for: version.artefacts[0].digest))
        try await Application(router: s.server.router()).test(.router) { client in
            let reply = try await Self.send(client, .post, "/v2/models/fraud/versions/\(tampered)/infer", token: s.client, Self.oneRow)
            #expect(reply.status == .conflict && reply.body.contains("does not match") && !reply.body.contains("sha256"), "\(reply.body)")
        }
    }

    @Test func registryModelsEncryptedAtRestAreDecryptedToServe() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keyring = try Keyring.create(at: folder.url("keyring"))
        let registry = Registry(store: InMemoryRegistryStore(), gates: GatePolicy(aliases: [:]))
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [],
            configuration: ServerConfiguration().with { $0.data = folder.path }, keyring: keyring)
        let bytes = try Self.modelBytes(bias: 7)
        let digest = try server.artefacts.put(bytes: bytes)
        #expect(try FileIO.readAll(server.blobs.path(for: digest)) != bytes, "the blob is not encrypted at rest")
        _ = try await registry.createModel("enc", by: Self.admin)
        let version = try await registry.addVersion(
            ModelVersion(
                model: "enc", version: 0, artefacts: [.init(path: "m.onnx", digest: digest, size: Int64(bytes.count))], uploader: "", createdAt: 0,
                signature: .init(passed: true, detail: ""), scan: .init(highestSeverity: nil, findings: 0)),
            by: Self.admin)
        _ = try await registry.moveAlias("production", of: "enc", to: version.version, by: Self.admin)
        let token = try await registry.createToken(name: "app", role: .inferenceClient, by: Self.admin).plaintext
        try await Application(router: server.router()).test(.router) { client in
            let reply = try await Self.send(client, .post, "/v2/models/enc/infer", token: token, Self.oneRow)
            #expect(reply.status == .ok, "\(reply.body)")
            #expect(try Self.json(reply.body)["outputs"]?.arrayValue?.first?["data"]?.arrayValue?.first == 13)
        }
    }

    @Test func liveServerAnswersOverHTTP() async throws {
        let s = try await Self.setup()
        defer { s.folder.remove() }
        let running = try await s.server.start(logger: Logger(label: "test.inference"))
        defer { running.stop() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/v2/models/lin/infer")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(s.client)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: Self.oneRow))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(response.status == .ok, "\(body)")
        #expect(try Self.json(body)["outputs"]?.arrayValue?.first?["data"] == [.double(6.5), -1])
    }
}
