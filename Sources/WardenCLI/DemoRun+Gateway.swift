import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import WardenCore
import WardenGuard
import WardenRegistry
import WardenServer

/// The demo's gateway stage: the trained model served over the Open Inference Protocol by a real
/// `warden serve` on loopback, a prediction with an `inference-client` token (in the audit chain),
/// and the refusals a guard must give: no token (401), a shape that is not the model's (400); then
/// the response to an attack: a client replaying one query 30 times is flagged for model
/// extraction, the `extraction → block` playbook blocks it (403) and opens an incident with the
/// action in it (read through the admin API as `warden incident list` does, audited), and an
/// administrator lifts the block.
extension DemoRun {
    func gatewayStage() async {
        await asyncStep("gateway") {
            let model = root + "/training/model.onnx"
            guard FileManager.default.fileExists(atPath: model) else { throw WardenError.internalError("the train stage wrote no model") }
            let adminToken = APIToken.issue(for: "admin", name: "demo admin", now: 0).plaintext
            let configuration = ServerConfiguration().with {
                $0.data = root + "/gateway"
                $0.inference.models = ["demo": model]
                $0.inference.alertsFile = root + "/gateway/alerts.jsonl"
                var extraction = ExtractionDetector.Policy()
                extraction.minSamples = 20
                $0.inference.extraction = extraction
                $0.inference.playbook = Playbook(rules: [.init(types: ["extraction"], actions: [.block])], blockSeconds: 600)
            }
            let server = try await RegistryServer.open(configuration: configuration, adminToken: adminToken)
            let token = try await server.registry.createToken(name: "app", role: .inferenceClient, by: Principal(id: "admin", name: "admin", roles: [.admin]))
            var logger = Logger(label: "warden.demo.gateway")
            logger.logLevel = .critical
            let running = try await server.start(logger: logger)
            defer { running.stop() }
            func post(_ body: String, token: String?, path: String = "/v2/models/demo/infer", method: HTTPMethod = .POST) async throws -> (Int, JSONValue) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)" + path)
                request.method = method
                request.headers.add(name: "Content-Type", value: "application/json")
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                return (Int(response.status.code), try JSONParser().parse(text))
            }
            let row = "[-1.0, 0.5, 0.2, -0.8, 1.1, 0.0, -0.3, 0.9]"
            let good = #"{"id": "demo-1", "inputs": [{"name": "input", "shape": [1, 8], "datatype": "FP32", "data": \#(row)}]}"#
            let (status, answer) = try await post(good, token: token.plaintext)
            guard status == 200, let output = answer["outputs"]?.arrayValue?.first, answer["id"] == "demo-1" else {
                throw WardenError.internalError("the gateway did not answer the prediction: \(status) \(answer.compactString.prefix(200))")
            }
            let (anonymous, _) = try await post(good, token: nil)
            let wrong = #"{"inputs": [{"name": "input", "shape": [1, 7], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6, 7]}]}"#
            let (refused, error) = try await post(wrong, token: token.plaintext)
            guard anonymous == 401, refused == 400, let message = error["error"]?.stringValue else {
                throw WardenError.internalError("the gateway did not refuse as it should: \(anonymous), \(refused)")
            }
            await server.commitQueuedAudit()
            let audited = try await server.registry.store.auditEvents(from: 1, limit: 10_000).filter { $0.action == "inference.predict" }
            guard audited.count == 1 else { throw WardenError.internalError("\(audited.count) predictions in the audit chain, expected 1") }
            let response = try await respond(post: post, row: row, admin: adminToken, server: server)
            return "served model.onnx over /v2 (KServe v2): '\(output["name"]?.stringValue ?? "?")' \(output["shape"]?.compactString ?? "") for one row, audited with its input digest; no token → 401; wrong shape → 400 \"\(message.prefix(90))\"; \(response)"
        }
    }
}

extension DemoRun {
    typealias Post = (String, String?, String, HTTPMethod) async throws -> (Int, JSONValue)

    /// The playbook in action, through the real HTTP API.
    func respond(post: Post, row: String, admin: String, server: RegistryServer) async throws -> String {
        let attacker = try await server.registry.createToken(
            name: "scraper", role: .inferenceClient, by: Principal(id: "admin", name: "admin", roles: [.admin]))
        let data = Array(repeating: row.dropFirst().dropLast(), count: 30).joined(separator: ", ")
        let probe = #"{"inputs": [{"name": "input", "shape": [30, 8], "datatype": "FP32", "data": [\#(data)]}]}"#
        let one = #"{"inputs": [{"name": "input", "shape": [1, 8], "datatype": "FP32", "data": \#(row)}]}"#
        let (first, _) = try await post(probe, attacker.plaintext, "/v2/models/demo/infer", .POST)
        let (blocked, refusal) = try await post(one, attacker.plaintext, "/v2/models/demo/infer", .POST)
        guard first == 200, blocked == 403 else {
            throw WardenError.internalError("the playbook did not block the replaying client: \(first), \(blocked) \(refusal.compactString.prefix(200))")
        }
        let (listed, incidents) = try await post("", admin, "/v2/guard/incidents", .GET)
        guard listed == 200, let incident = incidents["incidents"]?.arrayValue?.first(where: { $0["type"] == "extraction" }),
            let step = incident["actions"]?.arrayValue?.first, step["action"] == "block", step["outcome"] == "done"
        else { throw WardenError.internalError("no extraction incident with a block: \(listed) \(incidents.compactString.prefix(300))") }
        let (lifted, _) = try await post("", admin, "/v2/guard/blocks/scraper", .DELETE)
        let (again, _) = try await post(one, attacker.plaintext, "/v2/models/demo/infer", .POST)
        guard lifted == 200, again == 200 else { throw WardenError.internalError("unblocking did not restore the client: \(lifted), \(again)") }
        let events = try await server.registry.store.auditEvents(from: 1, limit: 10_000)
        guard events.contains(where: { $0.action == "playbook.block" && $0.actor == "warden-gateway" }), events.contains(where: { $0.action == "guard.unblock" })
        else { throw WardenError.internalError("the playbook's block or the unblock is missing from the audit chain") }
        return "a client replaying one query 30× → extraction alert → playbook blocked it (403), incident \(incident["id"]?.stringValue ?? "?") lists block: done; admin unblocked it → 200; both audited"
    }
}
