import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import NIOCore
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer


/// No secret in any log line: a live server logging at trace level sees valid, wrong and
/// malformed tokens, basic credentials, uploads, refusals and errors; no captured entry (message,
/// metadata or error) holds a token's secret, the admin token, or a basic-auth password.
struct SecretLoggingTests {
    @Test func tokensAndPasswordsNeverReachTheLogs() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test.secrets") { _ in handler }
        logger.logLevel = .trace
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        let server = try await RegistryServer.open(configuration: ServerConfiguration().with { $0.data = folder.url("data") }, adminToken: admin, logger: logger)
        let maintainer = try await server.registry.createToken(name: "mia", role: .maintainer, by: Principal(id: "admin", name: "admin", roles: [.admin])).plaintext
        let running = try await server.start(logger: logger)
        defer { running.stop() }
        let base = "http://127.0.0.1:\(running.port)"

        let wrong = "wdn_" + String(maintainer.dropFirst(4).prefix(12)) + "_" + String(repeating: "Z", count: 43)
        let headers = [
            "Bearer \(admin)", "Bearer \(maintainer)", "Bearer \(wrong)", "Bearer \(maintainer)garbage", "Basic " + Data("mia:\(maintainer)".utf8).base64EncodedString(),
            "Basic " + Data("mia:hunter2-secret-password".utf8).base64EncodedString(), "Token \(maintainer)",
        ]
        let calls: [(String, String, String?)] = [
            ("GET", "/api/v1/models", nil), ("POST", "/api/v1/models", #"{"name":"fraud"}"#), ("PUT", "/api/v1/blobs", "bytes"),
            ("POST", "/api/v1/models/fraud/versions", #"{"artefacts":[{"path":"../x","digest":"sha256:00"}]}"#), ("POST", "/api/v1/models", "{bad json"),
            ("GET", "/api/2.0/mlflow/registered-models/get?name=fraud", nil), ("POST", "/api/v1/tokens", #"{"name":"x","role":"reader"}"#),
            ("GET", "/api/v1/nope", nil),
        ]
        for header in headers {
            for (method, path, body) in calls {
                var request = HTTPClientRequest(url: base + path)
                request.method = .init(rawValue: method)
                request.headers.add(name: "Authorization", value: header)
                if let body { request.body = .bytes(ByteBuffer(string: body)) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
                _ = try await response.body.collect(upTo: 1 << 20)
            }
        }
        let entries = handler.entries
        #expect(!entries.isEmpty, "the server logged nothing: the test would prove nothing")
        let secrets = [admin, maintainer, wrong, "hunter2-secret-password"].map { String($0.suffix(30)) } + [Data("mia:\(maintainer)".utf8).base64EncodedString()]
        for entry in entries {
            let text = "\(entry.message) \(entry.metadata) \(entry.error.map { String(describing: $0) } ?? "")"
            for secret in secrets { #expect(!text.contains(secret), "a log line holds a secret: \(text.prefix(300))") }
        }
        // The audit chain names token ids only.
        let events = try await server.registry.store.auditEvents(from: 1, limit: 10_000)
        for event in events {
            for secret in secrets { #expect(!event.line.contains(secret), "an audit event holds a secret: \(event.line.prefix(300))") }
        }
    }
}
