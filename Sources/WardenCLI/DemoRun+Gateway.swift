import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import WardenCore
import WardenRegistry
import WardenServer

/// The demo's gateway stage: the trained model served over the Open Inference Protocol by a real
/// `warden serve` on loopback, a prediction with an `inference-client` token (in the audit chain),
/// and the refusals a guard must give: no token (401), a shape that is not the model's (400).
extension DemoRun {
    func gatewayStage() async {
        await asyncStep("gateway") {
            let model = root + "/training/model.onnx"
            guard FileManager.default.fileExists(atPath: model) else { throw WardenError.internalError("the train stage wrote no model") }
            let adminToken = APIToken.issue(for: "admin", name: "demo admin", now: 0).plaintext
            let configuration = ServerConfiguration().with {
                $0.data = root + "/gateway"
                $0.inference.models = ["demo": model]
            }
            let server = try await RegistryServer.open(configuration: configuration, adminToken: adminToken)
            let token = try await server.registry.createToken(name: "app", role: .inferenceClient, by: Principal(id: "admin", name: "admin", roles: [.admin]))
            var logger = Logger(label: "warden.demo.gateway")
            logger.logLevel = .critical
            let running = try await server.start(logger: logger)
            defer { running.stop() }
            func post(_ body: String, token: String?) async throws -> (Int, JSONValue) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/v2/models/demo/infer")
                request.method = .POST
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
            let audited = try await server.registry.store.auditEvents(from: 1, limit: 10_000).filter { $0.action == "inference.predict" }
            guard audited.count == 1 else { throw WardenError.internalError("\(audited.count) predictions in the audit chain, expected 1") }
            return "served model.onnx over /v2 (KServe v2): '\(output["name"]?.stringValue ?? "?")' \(output["shape"]?.compactString ?? "") for one row, audited with its input digest; no token → 401; wrong shape → 400 \"\(message.prefix(90))\""
        }
    }
}
