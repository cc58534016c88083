import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// `/api/2.0/mlflow-artifacts/artifacts`: uploads into a run's or logged model's folder (stored
/// by digest), listings and downloads. Paths under `registry/NAME/N/` are a registered version's
/// immutable artefacts, authorised per model; other paths belong to their run or logged model.
extension MLflowAPI {
    /// What an artefact path names.
    enum ArtifactOwner: Equatable {
        case loggedModel(String)
        case run(String)
        case version(model: String, version: Int, path: String)

        /// The run or logged model document that owns the path (nil for registered versions).
        var document: (kind: String, id: String)? {
            switch self {
            case .loggedModel(let id): (Kind.loggedModel, id)
            case .run(let id): (Kind.run, id)
            case .version: nil
            }
        }
    }

    func addArtifactRoutes(_ group: RouterGroup<Context>) {
        group.get("/artifacts") { request, context -> Response in
            do {
                let principal = try context.requirePrincipal()
                let path = Self.query(request, "path") ?? ""
                return JSONResponse.make(try await list(path, principal))
            } catch {
                return try mlflowError(error).response(from: request, context: context)
            }
        }
        group.get("/artifacts/**") { request, context -> Response in
            do {
                return try await download(Self.catchAllPath(context), try context.requirePrincipal())
            } catch {
                return try mlflowError(error).response(from: request, context: context)
            }
        }
        group.put("/artifacts/**") { request, context -> Response in
            do {
                try await upload(Self.catchAllPath(context), request, try context.requirePrincipal())
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
            } catch {
                return try mlflowError(error).response(from: request, context: context)
            }
        }
    }

    static func catchAllPath(_ context: Context) -> String {
        context.parameters.getCatchAll().map { $0.removingPercentEncoding ?? String($0) }.joined(separator: "/")
    }

    /// Parses and checks a path: relative, no `.`/`..`/empty segments, at most 1024 bytes.
    static func owner(of path: String) throws -> ArtifactOwner {
        guard path.utf8.count <= 1024, RegistryServer.isSafeRelativePath(path) else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Invalid artifact path '\(path.prefix(200))'")
        }
        let parts = path.split(separator: "/").map(String.init)
        if parts.count >= 3, parts[0] == "registry", let number = Int(parts[2]), number > 0 {
            return .version(model: parts[1].replacingOccurrences(of: "~", with: "/"), version: number, path: parts.dropFirst(3).joined(separator: "/"))
        }
        if parts.count >= 4, parts[1] == "models", parts[3] == "artifacts" { return .loggedModel(parts[2]) }
        if parts.count >= 3, parts[2] == "artifacts" { return .run(parts[1]) }
        throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'\(path.prefix(200))' is not inside a run's or logged model's artifact folder")
    }

    /// The artefact prefix (ending in `/`) a model-version source names, the object that owns it
    /// (to freeze once registered) and that object's document when it was read on the way. The
    /// caller must own that object.
    func artifactPrefix(
        forSource source: String, modelID: String?, runID: String?
    ) async throws -> (String, (kind: String, id: String)?, JSONValue?) {
        func invalid(_ why: String) -> APIError { APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Invalid model version source '\(source.prefix(200))': \(why)") }
        if source.hasPrefix("models:/m-") {
            let id = String(source.dropFirst("models:/".count))
            guard modelID == nil || modelID == id else { throw invalid("it does not match model_id") }
            guard let model = try await store.document(Kind.loggedModel, id), let uri = model["artifact_uri"]?.stringValue else {
                throw invalid("no logged model \(id.prefix(64))")
            }
            return (String(uri.dropFirst("mlflow-artifacts:/".count)) + "/", (Kind.loggedModel, id), model)
        }
        if source.hasPrefix("runs:/") {
            let rest = source.dropFirst("runs:/".count)
            let run = String(rest.prefix { $0 != "/" })
            let sub = rest.dropFirst(run.count).drop { $0 == "/" }
            guard runID == nil || runID == run, let record = try await store.document(Kind.run, run), let uri = record["artifact_uri"]?.stringValue else {
                throw invalid("no run \(run.prefix(64))")
            }
            return (String(uri.dropFirst("mlflow-artifacts:/".count)) + "/" + (sub.isEmpty ? "" : sub + "/"), (Kind.run, run), record)
        }
        if source.hasPrefix("mlflow-artifacts:/") {
            let path = String(source.dropFirst("mlflow-artifacts:/".count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            switch try Self.owner(of: path + "/x") {
            case .loggedModel(let id): return (path + "/", (Kind.loggedModel, id), nil)
            case .run(let id): return (path + "/", (Kind.run, id), nil)
            case .version: throw invalid("it is already a registered version")
            }
        }
        throw invalid("Warden registers only artefacts it stores (models:/m-…, runs:/…, mlflow-artifacts:/…)")
    }

    /// The run or logged model document behind a path, with the caller's right to it checked:
    /// owners always; others only for objects registered as versions they may download.
    func authorize(_ owner: ArtifactOwner, _ principal: Principal, write: Bool) async throws -> JSONValue? {
        switch owner {
        case .version(let model, _, _):
            guard let registered = try await store.model(named: model) else { throw WardenError.notFound("No model named '\(model)'") }
            let decision = registry.policy.decide(principal, .downloadArtefact, model: registered)
            guard decision.allowed, !write else {
                try await store.appendAudit(audit(principal, "auth.denied", "registry/\(model)", ["action": write ? "artefact.upload" : "artefact.download"]))
                throw Registry.Refusal.forbidden(write ? "registered versions are immutable" : decision.reason)
            }
            return nil
        case .loggedModel(let id):
            return write ? try await owned(Kind.loggedModel, id, principal) : try await readable(Kind.loggedModel, id, principal)
        case .run(let id):
            if write { return try await owned(Kind.run, id, principal) }
            guard let run = try await store.document(Kind.run, id) else { throw APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", "Run '\(id.prefix(64))' not found") }
            if isOwner(run, principal) { return run }
            let entries = try await registrations(Kind.run, id, run, limit: server.configuration.limits.maxResults)
            if try await anyRegistration(entries, allows: .downloadArtefact, principal) { return run }
            try await store.appendAudit(audit(principal, "auth.denied", "\(Kind.run)/\(id)", ["reason": "not the owner"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' may not read run \(id.prefix(64))")
        }
    }

    func upload(_ path: String, _ request: Request, _ principal: Principal) async throws {
        let owner = try Self.owner(of: path)
        let document = try await authorize(owner, principal, write: true)
        if let document, let (kind, id) = owner.document, try await !registrations(kind, id, document, limit: 1).isEmpty {
            throw APIError(.badRequest, "INVALID_STATE", "The artefacts of a registered model version are immutable")
        }
        let stored = try await server.receiveBlob(request)
        let record: JSONValue = ["digest": .string(stored.digest.description), "size": .int(stored.size), "owner": .string(principal.id)]
        try await store.saveDocument(
            Kind.artifact, path, record, onlyIfAbsent: false,
            audit: audit(principal, "artefact.upload", path, ["digest": .string(stored.digest.description), "size": .int(stored.size)]))
    }

    /// Direct children of `path`: `{files: [{path, is_dir, file_size}]}` with base names, as
    /// MLflow's server answers.
    func list(_ path: String, _ principal: Principal) async throws -> JSONValue {
        let clean = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !clean.isEmpty else { return ["files": []] }
        let owner = try Self.owner(of: clean)
        _ = try await authorize(owner, principal, write: false)
        var entries: [(path: String, size: Int64)]
        if case .version(let model, let number, let inner) = owner {
            guard let version = try await store.version(model, number) else { throw WardenError.notFound("No version \(number) of '\(model)'") }
            let prefix = inner.isEmpty ? "" : inner + "/"
            entries = version.artefacts.filter { $0.path.hasPrefix(prefix) }.map { (String($0.path.dropFirst(prefix.count)), $0.size) }
        } else {
            let prefix = clean + "/"
            entries = try await store.documents(Kind.artifact, prefix: prefix, limit: server.configuration.limits.maxResults)
                .map { (String($0.id.dropFirst(prefix.count)), $0.value["size"]?.intValue ?? 0) }
        }
        var files: [JSONValue] = []
        var folders = Set<String>()
        for entry in entries {
            if let slash = entry.path.firstIndex(of: "/") {
                let folder = String(entry.path[..<slash])
                if folders.insert(folder).inserted { files.append(["path": .string(folder), "is_dir": true]) }
            } else {
                files.append(["path": .string(entry.path), "is_dir": false, "file_size": .int(entry.size)])
            }
        }
        return files.isEmpty ? [:] : ["files": .array(files)]
    }

    func download(_ path: String, _ principal: Principal) async throws -> Response {
        let owner = try Self.owner(of: path)
        _ = try await authorize(owner, principal, write: false)
        let digest: Digest
        let size: Int64
        if case .version(let model, let number, let inner) = owner {
            guard let artefact = try await store.version(model, number)?.artefacts.first(where: { $0.path == inner }) else {
                throw WardenError.notFound("'\(model)' version \(number) has no artefact '\(inner)'")
            }
            digest = artefact.digest
            size = artefact.size
        } else {
            guard let record = try await store.document(Kind.artifact, path), let text = record["digest"]?.stringValue, let stored = try? Digest(parsing: text) else {
                throw WardenError.notFound("No artifact at '\(path.prefix(200))'")
            }
            digest = stored
            size = record["size"]?.intValue ?? 0
        }
        try await store.appendAudit(audit(principal, "artefact.download", path, ["digest": .string(digest.description)]))
        return try server.streamBlob(digest, size: size)
    }
}
