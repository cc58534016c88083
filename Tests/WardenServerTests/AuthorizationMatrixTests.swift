import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Every caller × every endpoint of /api/v1 and the MLflow API (the table must name every route
/// the router has): what each role may do is exactly what Role.actions says, a principal with no
/// role or a grant on another model sees nothing of `fraud`, revoked and expired tokens (even
/// cached ones) are 401, a refusal is 403 and never carries the data asked for, and every refusal
/// is in the audit chain.
struct AuthorizationMatrixTests {
    /// Who calls: the five roles, a principal with no role at all, one with `reader` on another
    /// model only, and a maintainer whose token was revoked or has expired after it was cached.
    enum Caller: String, CaseIterable, Sendable {
        case admin, maintainer, reviewer, reader
        case inferenceClient = "inference-client"
        case none
        case elsewhere = "reader-of-other"
        case revoked, expired

        var role: Role? { Role(rawValue: rawValue) }
    }

    struct Endpoint: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        /// Callers that may call it (admin always may, unless `adminMay` is false).
        var allowed: Set<Caller>
        /// False for what nobody may do (writing into a registered version).
        var adminMay = true
        /// A listing: callers who may not read `fraud` (or uma's workspace) must not find it in it.
        var listing = false
        var description: String { "\(method) \(path)" }
    }

    static let fraudReaders: Set<Caller> = [.maintainer, .reviewer, .reader]
    /// Tracking reads need some role that reads models, global or granted; they then see the
    /// Default experiment, their own, and (global read roles only) everyone's.
    static let trackingReaders: Set<Caller> = fraudReaders.union([.elsewhere])
    static let everyone: Set<Caller> = [.maintainer, .reviewer, .reader, .inferenceClient, .none, .elsewhere]
    static let adminOnly: Set<Caller> = []
    /// Roles that allow `model.infer` (fraud is unsigned, so they get 404/409, never 401/403).
    static let inferers: Set<Caller> = [.maintainer, .inferenceClient]

    /// `{role}` is the caller, `{digest}` the weights' blob, `{exp}`/`{run}`/`{lm}` uma's experiment,
    /// run and logged model (a workspace only uma and admins may touch).
    static let endpoints: [Endpoint] = [
        .init(method: .get, path: "/api/v1/whoami", allowed: everyone),
        .init(method: .get, path: "/api/v1/models", allowed: everyone, listing: true),
        .init(method: .post, path: "/api/v1/models", body: #"{"name":"new-{role}"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/v1/models/fraud", allowed: fraudReaders),
        .init(method: .put, path: "/api/v1/blobs", body: "bytes of {role}", allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/models/fraud/versions", body: #"{"artefacts":[{"path":"w.bin","digest":"{digest}"}]}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/v1/models/fraud/versions", allowed: fraudReaders),
        .init(method: .get, path: "/api/v1/models/fraud/versions/1", allowed: fraudReaders),
        .init(method: .get, path: "/api/v1/models/fraud/versions/1/artefacts/w.bin", allowed: fraudReaders),
        .init(method: .post, path: "/api/v1/models/fraud/versions/1/approve", body: "{}", allowed: [.reviewer]),
        .init(method: .get, path: "/api/v1/models/fraud/aliases", allowed: fraudReaders),
        .init(method: .get, path: "/api/v1/models/fraud/aliases/champion", allowed: fraudReaders),
        .init(method: .put, path: "/api/v1/models/fraud/aliases/staging", body: #"{"version":1}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/models/fraud/aliases/staging/rollback", allowed: [.maintainer]),
        .init(method: .delete, path: "/api/v1/models/fraud/aliases/champion", allowed: [.maintainer]),
        .init(method: .post, path: "/api/v1/tokens", body: #"{"name":"n-{role}","role":"reader"}"#, allowed: adminOnly),
        .init(method: .delete, path: "/api/v1/tokens/000000000000", allowed: adminOnly),
        .init(method: .get, path: "/api/v1/audit", allowed: [.maintainer, .reviewer]),
        // MLflow registry.
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/get?name=fraud", allowed: fraudReaders),
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/search", allowed: everyone, listing: true),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/search", body: "{}", allowed: everyone, listing: true),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/create", body: #"{"name":"ml-{role}"}"#, allowed: [.maintainer]),
        .init(method: .patch, path: "/api/2.0/mlflow/registered-models/update", body: #"{"name":"fraud","description":"d"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/set-tag", body: #"{"name":"fraud","key":"k","value":"v"}"#, allowed: [.maintainer]),
        .init(method: .delete, path: "/api/2.0/mlflow/registered-models/delete-tag", body: #"{"name":"fraud","key":"k"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/alias", body: #"{"name":"fraud","alias":"blue","version":"1"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/registered-models/alias?name=fraud&alias=blue", allowed: fraudReaders),
        .init(method: .delete, path: "/api/2.0/mlflow/registered-models/alias", body: #"{"name":"fraud","alias":"blue"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/registered-models/get-latest-versions", body: #"{"name":"fraud"}"#, allowed: fraudReaders),
        .init(method: .post, path: "/api/2.0/mlflow/model-versions/create", body: #"{"name":"fraud","source":"models:/{lm}","model_id":"{lm}"}"#, allowed: adminOnly),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/get?name=fraud&version=1", allowed: fraudReaders),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/search?filter=name%3D%27fraud%27", allowed: everyone, listing: true),
        .init(method: .patch, path: "/api/2.0/mlflow/model-versions/update", body: #"{"name":"fraud","version":"1","description":"d"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/model-versions/set-tag", body: #"{"name":"fraud","version":"1","key":"k","value":"v"}"#, allowed: [.maintainer]),
        .init(method: .delete, path: "/api/2.0/mlflow/model-versions/delete-tag", body: #"{"name":"fraud","version":"1","key":"k"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/model-versions/transition-stage", body: #"{"name":"fraud","version":"2","stage":"Staging"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/model-versions/get-download-uri?name=fraud&version=1", allowed: fraudReaders),
        // MLflow tracking: experiments are shared with global read roles (a grant elsewhere opens
        // only Default and one's own); runs and logged models are their creator's.
        .init(method: .get, path: "/api/2.0/mlflow/experiments/get-by-name?experiment_name=uma-exp", allowed: fraudReaders),
        .init(method: .get, path: "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default", allowed: trackingReaders),
        .init(method: .get, path: "/api/2.0/mlflow/experiments/get?experiment_id={exp}", allowed: fraudReaders),
        .init(method: .get, path: "/api/2.0/mlflow/experiments/get?experiment_id=0", allowed: trackingReaders),
        .init(method: .post, path: "/api/2.0/mlflow/experiments/search", body: "{}", allowed: trackingReaders, listing: true),
        .init(method: .post, path: "/api/2.0/mlflow/experiments/create", body: #"{"name":"exp-{role}"}"#, allowed: [.maintainer]),
        .init(method: .post, path: "/api/2.0/mlflow/runs/create", body: #"{"experiment_id":"{exp}","start_time":1}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/runs/get?run_id={run}", allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/update", body: #"{"run_id":"{run}","status":"FINISHED"}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/log-batch", body: #"{"run_id":"{run}","params":[{"key":"p","value":"1"}]}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/log-parameter", body: #"{"run_id":"{run}","key":"q","value":"1"}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/log-metric", body: #"{"run_id":"{run}","key":"m","value":1,"timestamp":1,"step":0}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/set-tag", body: #"{"run_id":"{run}","key":"k","value":"v"}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/outputs", body: #"{"run_id":"{run}","models":[{"model_id":"{lm}","step":0}]}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/runs/log-inputs", body: #"{"run_id":"{run}"}"#, allowed: adminOnly),
        .init(method: .get, path: "/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=loss", allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/logged-models", body: #"{"experiment_id":"{exp}","name":"m"}"#, allowed: [.maintainer]),
        .init(method: .get, path: "/api/2.0/mlflow/logged-models/{lm}", allowed: adminOnly),
        .init(method: .patch, path: "/api/2.0/mlflow/logged-models/{lm}", body: #"{"model_id":"{lm}","status":"LOGGED_MODEL_READY"}"#, allowed: adminOnly),
        .init(method: .patch, path: "/api/2.0/mlflow/logged-models/{lm}/tags", body: #"{"tags":[{"key":"k","value":"v"}]}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/logged-models/{lm}/params", body: #"{"params":[{"key":"k","value":"v"}]}"#, allowed: adminOnly),
        .init(method: .post, path: "/api/2.0/mlflow/logged-models/search", body: "{}", allowed: trackingReaders, listing: true),
        // MLflow artefacts: registered versions (read-only for everyone), uma's run and logged model.
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts?path=registry/fraud/1", allowed: fraudReaders),
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts/registry/fraud/1/w.bin", allowed: fraudReaders),
        .init(method: .put, path: "/api/2.0/mlflow-artifacts/artifacts/registry/fraud/1/evil.bin", body: "x", allowed: [], adminMay: false),
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts", allowed: adminOnly),
        .init(method: .get, path: "/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/notes.txt", allowed: adminOnly),
        .init(method: .put, path: "/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/more.txt", body: "x", allowed: adminOnly),
        .init(method: .put, path: "/api/2.0/mlflow-artifacts/artifacts/{exp}/models/{lm}/artifacts/w.bin", body: "x", allowed: adminOnly),
        // Open Inference Protocol (the health probes, /v2 and /metrics are open).
        .init(method: .get, path: "/v2/models/fraud", allowed: inferers),
        .init(method: .get, path: "/v2/models/fraud/versions/1", allowed: inferers),
        .init(method: .get, path: "/v2/models/fraud/ready", allowed: inferers),
        .init(method: .get, path: "/v2/models/fraud/versions/1/ready", allowed: inferers),
        .init(method: .post, path: "/v2/models/fraud/infer", body: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#, allowed: inferers),
        .init(method: .post, path: "/v2/models/fraud/versions/1/infer", body: #"{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}"#, allowed: inferers),
        // The adversarial review queue: administrators and reviewers (an unknown item is a 404).
        .init(method: .get, path: "/v2/guard/reviews", allowed: [.reviewer]),
        .init(method: .post, path: "/v2/guard/reviews/r1/resolve", body: #"{"verdict":"benign"}"#, allowed: [.reviewer]),
        // Incident response: reviewers (and admins) read; only admins block, unblock, roll back and
        // restore (unknown incidents, blocks and fallbacks are 404s, an alias without history a 400).
        .init(method: .get, path: "/v2/guard/incidents", allowed: [.reviewer]),
        .init(method: .get, path: "/v2/guard/incidents/i1", allowed: [.reviewer]),
        .init(method: .post, path: "/v2/guard/blocks", body: #"{"client":"nobody-{role}"}"#, allowed: adminOnly),
        .init(method: .delete, path: "/v2/guard/blocks/nobody-{role}", allowed: adminOnly),
        .init(method: .post, path: "/v2/guard/rollback", body: #"{"model":"fraud","alias":"nothing"}"#, allowed: adminOnly),
        .init(method: .delete, path: "/v2/guard/fallbacks/fraud", allowed: adminOnly),
    ]

    /// The test's clock, moved by hand.
    final class ManualTime: Sendable {
        let date = Mutex(Date(timeIntervalSince1970: 1_790_000_000))
    }

    static let weights = "the model weights"
    static let notes = "uma's private run notes"

    /// A registry with `fraud` (two versions by uma, aliases), uma's MLflow workspace, and a token
    /// for the caller; the clock is the test's.
    struct World {
        let folder: TemporaryDirectory
        let store: InMemoryRegistryStore
        let server: RegistryServer
        let now: ManualTime
        let digest: Digest
    }

    static func world() throws -> (World, Registry) {
        let folder = try TemporaryDirectory()
        let store = InMemoryRegistryStore()
        let now = ManualTime()
        let clock = WardenClock { now.date.withLock { $0 } }
        let registry = Registry(store: store, clock: clock, tokenCache: VerifiedTokenCache(lifetimeMillis: 30_000, capacity: 100))
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        let blob = try server.blobs.put(bytes: Array(Self.weights.utf8))
        return (World(folder: folder, store: store, server: server, now: now, digest: blob.digest), registry)
    }

    static func setUp(_ world: World, _ registry: Registry) async throws -> (uma: String, admin: Principal) {
        let uploader = Principal(id: "uma", name: "uma", roles: [.maintainer])
        let admin = Principal(id: "root", name: "root", roles: [.admin])
        let digest = world.digest
        _ = try await registry.createModel("fraud", by: uploader)
        _ = try await registry.createModel("other", by: uploader)
        for _ in 0..<2 {
            _ = try await registry.addVersion(
                ModelVersion(model: "fraud", version: 0, artefacts: [.init(path: "w.bin", digest: digest, size: Int64(Self.weights.utf8.count))], uploader: "", createdAt: 0),
                by: uploader)
        }
        _ = try await registry.moveAlias("champion", of: "fraud", to: 1, by: uploader)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 1, by: uploader)
        _ = try await registry.moveAlias("staging", of: "fraud", to: 2, by: uploader)
        let uma = try await registry.createToken(name: "uma", role: .maintainer, by: admin).plaintext
        return (uma, admin)
    }

    /// The caller's token, made (and for revoked and expired, used once so it is cached, then
    /// revoked or outlived) the way each kind of caller comes to be.
    static func token(for caller: Caller, _ world: World, _ registry: Registry, admin: Principal) async throws -> String {
        switch caller {
        case .none:
            let draft = AuditDraft(time: registry.clock.timestamp(), actor: "root", action: "principal.save", subject: "principal/caller")
            try await world.store.savePrincipal(Principal(id: "caller", name: "caller"), audit: draft)
            let issued = APIToken.issue(for: "caller", name: "t", now: Int64(registry.clock.now().timeIntervalSince1970 * 1000))
            try await world.store.saveToken(issued.record, audit: draft)
            return issued.plaintext
        case .elsewhere:
            return try await registry.createToken(name: "caller", role: .reader, models: ["other"], by: admin).plaintext
        case .revoked:
            let issued = try await registry.createToken(name: "caller", role: .maintainer, by: admin)
            #expect(try await registry.authenticate(token: issued.plaintext) != nil)
            _ = try await registry.revokeToken(id: issued.token.id, by: admin)
            return issued.plaintext
        case .expired:
            let issued = try await registry.createToken(name: "caller", role: .maintainer, lifetimeMillis: 60_000, by: admin)
            #expect(try await registry.authenticate(token: issued.plaintext) != nil)
            world.now.date.withLock { $0 += 120 }
            return issued.plaintext
        default:
            return try await registry.createToken(name: "caller", role: try #require(caller.role), by: admin).plaintext
        }
    }

    /// uma's experiment, run (with a private artefact) and logged model, made through the API.
    static func workspace(_ client: some TestClientProtocol, uma: String) async throws -> [String: String] {
        func call(_ method: HTTPRequest.Method, _ path: String, _ body: String) async throws -> JSONValue? {
            try await client.execute(
                uri: path, method: method, headers: [.authorization: "Bearer \(uma)", .contentType: "application/json"], body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .ok, "setting up \(path): \(String(buffer: response.body))")
                return try? JSONParser().parse(String(buffer: response.body))
            }
        }
        let exp = try #require(try await call(.post, "/api/2.0/mlflow/experiments/create", #"{"name":"uma-exp"}"#)?["experiment_id"]?.stringValue)
        let run = try #require(try await call(.post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"\#(exp)","start_time":1}"#)?["run"]?["info"]?["run_id"]?.stringValue)
        _ = try await call(.post, "/api/2.0/mlflow/runs/log-metric", #"{"run_id":"\#(run)","key":"loss","value":0.5,"timestamp":1,"step":0}"#)
        _ = try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(exp)/\(run)/artifacts/notes.txt", Self.notes)
        let lm = try #require(try await call(.post, "/api/2.0/mlflow/logged-models", #"{"experiment_id":"\#(exp)","name":"m","source_run_id":"\#(run)"}"#)?["model"]?["info"]?["model_id"]?.stringValue)
        _ = try await call(.put, "/api/2.0/mlflow-artifacts/artifacts/\(exp)/models/\(lm)/artifacts/notes.txt", Self.notes)
        return ["exp": exp, "run": run, "lm": lm]
    }

    static func fill(_ text: String, _ values: [String: String]) -> String {
        values.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
    }

    @Test func theTableNamesEveryRoute() throws {
        let (world, _) = try Self.world()
        defer { world.folder.remove() }
        func matches(_ pattern: String, _ path: String) -> Bool {
            let want = pattern.split(separator: "/"), got = path.split(separator: "?")[0].split(separator: "/")
            for (index, segment) in want.enumerated() {
                if segment == "**" { return got.count > index }
                guard index < got.count, segment.hasPrefix("{") || segment == got[index] else { return false }
            }
            return want.count == got.count
        }
        let routes = world.server.router().routes.filter {
            !AuthMiddleware.open.contains($0.path.description) && !InferenceAPI.openPaths.contains($0.path.description)
        }
        #expect(routes.count > 50)
        for route in routes {
            let covered = Self.endpoints.contains { $0.method == route.method && matches(route.path.description, $0.path) }
            #expect(covered, "the authorisation matrix has no row for \(route.method) \(route.path)")
        }
    }

    @Test(arguments: Caller.allCases) func eachCallerGetsExactlyItsRights(_ caller: Caller) async throws {
        let (world, registry) = try Self.world()
        defer { world.folder.remove() }
        let (uma, admin) = try await Self.setUp(world, registry)
        let token = try await Self.token(for: caller, world, registry, admin: admin)
        let before = try await world.store.auditEvents(from: 1, limit: 100_000).filter { $0.action == "auth.denied" }.count

        let app = Application(router: world.server.router())
        let denied = try await app.test(.router) { client -> Int in
            var values = try await Self.workspace(client, uma: uma)
            values["role"] = caller.rawValue
            values["digest"] = world.digest.description
            var denied = 0
            for endpoint in Self.endpoints {
                let path = Self.fill(endpoint.path, values)
                let refused = try await client.execute(
                    uri: path, method: endpoint.method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: endpoint.body.map { ByteBuffer(string: Self.fill($0, values)) }
                ) { response -> Bool in
                    let text = String(buffer: response.body)
                    let what = "\(caller) \(endpoint.method) \(path): \(response.status) \(text.prefix(300))"
                    #expect(response.status.code < 500, "\(what)")
                    if caller != .admin { #expect(!text.contains(Self.notes), "\(what) leaks uma's workspace") }
                    if caller == .revoked || caller == .expired {
                        #expect(response.status == .unauthorized, "\(what)")
                        return true
                    }
                    let may = caller == .admin ? endpoint.adminMay : endpoint.allowed.contains(caller)
                    if may {
                        #expect(response.status != .forbidden && response.status != .unauthorized, "\(what)")
                        if endpoint.listing && caller != .admin {
                            #expect(!text.contains(values["lm"]!) && !text.contains(values["run"]!), "\(what) lists uma's workspace")
                            if !Self.fraudReaders.contains(caller) {
                                #expect(!text.contains("fraud"), "\(what) lists fraud")
                                #expect(!text.contains("uma-exp"), "\(what) lists uma's experiment")
                            }
                        }
                        return false
                    }
                    #expect(response.status == .forbidden, "\(what)")
                    #expect(!text.contains(Self.weights) && !text.contains("sha256:"), "\(what) leaks")
                    return true
                }
                if refused { denied += 1 }
            }
            return denied
        }
        let after = try await world.store.auditEvents(from: 1, limit: 100_000)
        #expect(after.filter { $0.action == "auth.denied" }.count - before >= denied, "every refusal is audited")
        #expect(AuditChain().verify(after) == nil)
    }

    /// A maintainer granted only `other` (no global role) logs to its own experiment and Default,
    /// never finds, reads or adds runs to uma's.
    @Test func grantedMaintainerWorksInItsOwnAndTheDefaultExperimentOnly() async throws {
        let (world, registry) = try Self.world()
        defer { world.folder.remove() }
        let (uma, admin) = try await Self.setUp(world, registry)
        let gus = try await registry.createToken(name: "gus", role: .maintainer, models: ["other"], by: admin).plaintext
        let app = Application(router: world.server.router())
        try await app.test(.router) { client in
            let exp = try #require(try await Self.workspace(client, uma: uma)["exp"])
            func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(
                    uri: path, method: method, headers: [.authorization: "Bearer \(gus)", .contentType: "application/json"], body: body.map { ByteBuffer(string: $0) }
                ) { response in (response.status, String(buffer: response.body)) }
            }
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=gus-exp").0 == .notFound)
            let (created, body) = try await call(.post, "/api/2.0/mlflow/experiments/create", #"{"name":"gus-exp"}"#)
            #expect(created == .ok)
            let mine = try #require(try JSONParser().parse(body)["experiment_id"]?.stringValue)
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get?experiment_id=\(mine)").0 == .ok)
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=gus-exp").0 == .ok)
            for experiment in [mine, "0"] {
                #expect(try await call(.post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"\#(experiment)","start_time":1}"#).0 == .ok)
            }
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get?experiment_id=\(exp)").0 == .forbidden)
            #expect(try await call(.get, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=uma-exp").0 == .forbidden)
            #expect(try await call(.post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"\#(exp)","start_time":1}"#).0 == .forbidden)
            #expect(try await call(.post, "/api/2.0/mlflow/logged-models", #"{"experiment_id":"\#(exp)","name":"m"}"#).0 == .forbidden)
            let listed = try JSONParser().parse(try await call(.post, "/api/2.0/mlflow/experiments/search", "{}").1)
            #expect(Set(listed["experiments"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []) == ["Default", "gus-exp"])
        }
    }

    /// No credentials, an unknown token, basic auth with a wrong password, a malformed header:
    /// 401 on every endpoint, never 403, never data.
    @Test func anonymousAndWrongCredentialsAre401Everywhere() async throws {
        let (world, registry) = try Self.world()
        defer { world.folder.remove() }
        let (uma, _) = try await Self.setUp(world, registry)
        let app = Application(router: world.server.router())
        try await app.test(.router) { client in
            var values = try await Self.workspace(client, uma: uma)
            values["role"] = "anonymous"
            values["digest"] = world.digest.description
            let headers = ["", "Bearer wdn_000000000000_" + String(repeating: "A", count: 43), "Basic " + Data("uma:wrong".utf8).base64EncodedString(), "Basic !!", "Token x"]
            for endpoint in Self.endpoints {
                for header in headers {
                    let path = Self.fill(endpoint.path, values)
                    try await client.execute(
                        uri: path, method: endpoint.method, headers: header.isEmpty ? [:] : [.authorization: header],
                        body: endpoint.body.map { ByteBuffer(string: Self.fill($0, values)) }
                    ) { response in
                        let text = String(buffer: response.body)
                        #expect(response.status == .unauthorized, "\(endpoint.method) \(path) with '\(header.prefix(12))': \(response.status)")
                        #expect(!text.contains("fraud") && !text.contains(Self.weights) && !text.contains(Self.notes))
                    }
                }
            }
        }
    }
}
