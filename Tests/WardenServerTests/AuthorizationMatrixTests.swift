import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Every role × every endpoint: what each role may do is exactly what Role.actions says, a refusal
/// is 403 (never a leak of what was asked for), and every refusal is in the audit chain.
struct AuthorizationMatrixTests {
    struct Endpoint: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        /// Roles that may call it (admin always may).
        var allowed: Set<Role>
        /// False for what nobody may do (writing into a registered version).
        var adminMay = true
        var description: String { "\(method) \(path)" }
    }

    static let readers: Set<Role> = [.maintainer, .reviewer, .reader]
    static let everyone = Set(Role.allCases)

    static let endpoints: [Endpoint] = [
        .init(method: .get, path: "/api/v1/whoami", allowed: everyone),
        .init(method: .get, path: "/api/v1/models", allowed: everyone),
        .init(method: .post, path: "/api/v1/models", body: #"{"name":"new-{role}"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/v1/models/fraud", allowed: readers),
        .init(method: .put, path: "/api/v1/blobs", body: "bytes of {role}", allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/models/fraud/versions", body: #"{"artefacts":[{"path":"w.bin","digest":"{digest}"}]}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/v1/models/fraud/versions", allowed: readers),
        .init(method: .get, path: "/api/v1/models/fraud/versions/1", allowed: readers),
        .init(method: .get, path: "/api/v1/models/fraud/versions/1/artefacts/w.bin", allowed: readers),
        .init(method: .post, path: "/api/v1/models/fraud/versions/1/approve", body: "{}", allowed: [.reviewer]),
        .init(method: .get, path: "/api/v1/models/fraud/aliases", allowed: readers),
        .init(method: .get, path: "/api/v1/models/fraud/aliases/champion", allowed: readers),
        .init(method: .put, path: "/api/v1/models/fraud/aliases/staging", body: #"{"version":1}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/models/fraud/aliases/staging/rollback", allowed: [.maintainer]),
        .init(method: .delete, path: "/api/v1/models/fraud/aliases/champion", allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/tokens", body: #"{"name":"n-{role}","role":"reader"}"#, allowed: []),
        .init(method: .delete, path: "/api/v1/tokens/000000000000", allowed: []),
        .init(method: .get, path: "/api/v1/audit", allowed: [.maintainer, .reviewer]),
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/get?name=fraud", allowed: readers),
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/search", allowed: everyone),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/create", body: #"{"name":"ml-{role}"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/set-tag", body: #"{"name":"fraud","key":"k","value":"v"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/alias", body: #"{"name":"fraud","alias":"blue","version":"1"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/alias?name=fraud&alias=champion", allowed: readers),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/get?name=fraud&version=1", allowed: readers),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/search?filter=name%3D%27fraud%27", allowed: everyone),
        .init(method: .post, path: "/api/2.0/mlflow/model-versions/set-tag", body: #"{"name":"fraud","version":"1","key":"k","value":"v"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/get-download-uri?name=fraud&version=1", allowed: readers),
        .init(method: .post, path: "/api/2.0/mlflow/experiments/create", body: #"{"name":"exp-{role}"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/experiments/get?experiment_id=0", allowed: readers),
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts?path=registry/fraud/1", allowed: readers),
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts/registry/fraud/1/w.bin", allowed: readers),
        .init(method: .put, path: "/api/2.0/mlflow-artifacts/artifacts/registry/fraud/1/evil.bin", body: "x", allowed: [], adminMay: false),
    ]

    static let weights = Array("the model weights".utf8)

    @Test(arguments: Role.allCases) func eachRoleGetsExactlyItsRights(_ role: Role) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = InMemoryRegistryStore()
        let registry = Registry(store: store)
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        // A model with a version uploaded by someone else, aliases to resolve, remove and roll back.
        let uploader = Principal(id: "uma", name: "uma", roles: [.maintainer])
        let admin = Principal(id: "root", name: "root", roles: [.admin])
        let blob = try server.blobs.put(bytes: Self.weights)
        _ = try await registry.createModel("fraud", by: uploader)
        _ = try await registry.addVersion(
            ModelVersion(model: "fraud", version: 0, artefacts: [.init(path: "w.bin", digest: blob.digest, size: blob.size)], uploader: "", createdAt: 0), by: uploader)
        _ = try await registry.addVersion(
            ModelVersion(model: "fraud", version: 0, artefacts: [.init(path: "w.bin", digest: blob.digest, size: blob.size)], uploader: "", createdAt: 0), by: uploader)
        _ = try await registry.moveAlias("champion", of: "fraud", to: 1, by: uploader)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 1, by: uploader)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 2, by: uploader)
        let token = try await registry.createToken(name: "caller", role: role, by: admin).plaintext
        let before = try await store.auditEvents(from: 1, limit: 10_000).filter { $0.action == "auth.denied" }.count

        let app = Application(router: server.router())
        let denied = try await app.test(.router) { client -> Int in
            var denied = 0
            for endpoint in Self.endpoints {
                let body = endpoint.body.map { $0.replacingOccurrences(of: "{role}", with: role.rawValue).replacingOccurrences(of: "{digest}", with: blob.digest.description) }
                let refused = try await client.execute(
                    uri: endpoint.path, method: endpoint.method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: body.map { ByteBuffer(string: $0) }
                ) { response -> Bool in
                    let text = String(buffer: response.body)
                    let may = (role == .admin && endpoint.adminMay) || endpoint.allowed.contains(role)
                    if may {
                        #expect(response.status != .forbidden && response.status != .unauthorized, "\(role) \(endpoint): \(response.status) \(text)")
                        #expect(response.status.code < 500, "\(role) \(endpoint): \(response.status) \(text)")
                        return false
                    }
                    #expect(response.status == .forbidden, "\(role) \(endpoint): \(response.status) \(text)")
                    #expect(!text.contains("the model weights") && !text.contains("sha256:"), "\(role) \(endpoint) leaks: \(text)")
                    return true
                }
                if refused { denied += 1 }
            }
            // No token, a wrong token: 401 everywhere (never 403, never data).
            for endpoint in Self.endpoints.prefix(12) {
                for header in ["", "Bearer wdn_000000000000_" + String(repeating: "A", count: 43), "Basic Y2FsbGVyOm5vcGU="] {
                    try await client.execute(uri: endpoint.path, method: endpoint.method, headers: header.isEmpty ? [:] : [.authorization: header]) { response in
                        #expect(response.status == .unauthorized, "\(endpoint) with '\(header.prefix(12))': \(response.status)")
                        #expect(!String(buffer: response.body).contains("fraud"))
                    }
                }
            }
            return denied
        }
        let after = try await store.auditEvents(from: 1, limit: 10_000)
        #expect(after.filter { $0.action == "auth.denied" }.count - before >= denied + 24, "every refusal is audited")
        #expect(AuditChain().verify(after) == nil)
    }
}
