import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// `registered-models/…` and `model-versions/…`.
extension MLflowAPI {
    /// MLflow's stages are Warden aliases: a version is "Production" while `production` points to it.
    static let stageAliases: [(stage: String, alias: String)] = [("Production", "production"), ("Staging", "staging")]

    static func stage(of version: Int, aliases: [String: Int]) -> String {
        stageAliases.first { aliases[$0.alias] == version }?.stage ?? "None"
    }

    func addRegistryRoutes(_ api: RouterGroup<Context>) {
        route(api, .post, "/registered-models/create") { request, context, principal in
            let json = try await body(request, context)
            let name = try Self.required(json, "name")
            let model = try await registry.createModel(name, description: json["description"]?.stringValue ?? "", by: principal)
            for (key, value) in Self.tags(json["tags"]) { try await registry.setModelTag(key, value, on: name, by: principal) }
            return ["registered_model": try await registeredModelJSON(try await store.model(named: model.name) ?? model)]
        }
        route(api, .get, "/registered-models/get") { request, _, principal in
            let model = try await registry.model(try Self.requiredQuery(request, "name"), by: principal)
            return ["registered_model": try await registeredModelJSON(model)]
        }
        route(api, .get, "/registered-models/search") { request, _, principal in
            try await searchModels(filter: Self.query(request, "filter"), maxResults: Self.query(request, "max_results"), pageToken: Self.query(request, "page_token"), principal)
        }
        route(api, .post, "/registered-models/search") { request, context, principal in
            let json = try await body(request, context)
            return try await searchModels(
                filter: json["filter"]?.stringValue, maxResults: json["max_results"].map { $0.stringValue ?? $0.canonicalString },
                pageToken: json["page_token"]?.stringValue, principal)
        }
        route(api, .patch, "/registered-models/update") { request, context, principal in
            let json = try await body(request, context)
            let model = try await registry.setDescription(json["description"]?.stringValue ?? "", on: try Self.required(json, "name"), by: principal)
            return ["registered_model": try await registeredModelJSON(model)]
        }
        route(api, .post, "/registered-models/set-tag") { request, context, principal in
            let json = try await body(request, context)
            try await registry.setModelTag(try Self.required(json, "key"), json["value"]?.stringValue ?? "", on: try Self.required(json, "name"), by: principal)
            return [:]
        }
        route(api, .delete, "/registered-models/delete-tag") { request, context, principal in
            let json = try await body(request, context)
            try await registry.setModelTag(try Self.required(json, "key"), nil, on: try Self.required(json, "name"), by: principal)
            return [:]
        }
        route(api, .post, "/registered-models/alias") { request, context, principal in
            let json = try await body(request, context)
            let number = try Self.versionNumber(json["version"].map { $0.stringValue ?? $0.canonicalString } ?? "")
            _ = try await registry.moveAlias(try Self.required(json, "alias"), of: try Self.required(json, "name"), to: number, by: principal)
            return [:]
        }
        route(api, .delete, "/registered-models/alias") { request, context, principal in
            let json = try await body(request, context)
            try await registry.removeAlias(try Self.required(json, "alias"), of: try Self.required(json, "name"), by: principal)
            return [:]
        }
        route(api, .get, "/registered-models/alias") { request, _, principal in
            let name = try Self.requiredQuery(request, "name")
            let alias = try Self.requiredQuery(request, "alias")
            let version: ModelVersion
            do {
                version = try await registry.resolve(alias, of: name, by: principal)
            } catch let error as WardenError where error.code == .notFound && error.message.contains("alias") {
                throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Registered model alias \(alias) not found.")
            }
            return ["model_version": try await versionJSON(version)]
        }
        route(api, .post, "/registered-models/get-latest-versions") { request, context, principal in
            let json = try await body(request, context)
            let model = try await registry.model(try Self.required(json, "name"), by: principal)
            let stages = json["stages"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return ["model_versions": .array(try await latestVersions(of: model.name, stages: stages))]
        }
        route(api, .post, "/model-versions/create") { request, context, principal in
            try await createVersion(try await body(request, context), principal)
        }
        route(api, .get, "/model-versions/get") { request, _, principal in
            let version = try await registry.version(
                try Self.requiredQuery(request, "name"), try Self.versionNumber(try Self.requiredQuery(request, "version")), by: principal)
            return ["model_version": try await versionJSON(version)]
        }
        route(api, .get, "/model-versions/search") { request, _, principal in
            try await searchVersions(filter: Self.query(request, "filter"), maxResults: Self.query(request, "max_results"), principal)
        }
        route(api, .patch, "/model-versions/update") { request, context, principal in
            let json = try await body(request, context)
            let version = try await registry.setDescription(
                json["description"]?.stringValue ?? "", on: try Self.required(json, "name"), version: try Self.versionNumber(try Self.required(json, "version")),
                by: principal)
            return ["model_version": try await versionJSON(version)]
        }
        route(api, .post, "/model-versions/set-tag") { request, context, principal in
            let json = try await body(request, context)
            try await registry.setVersionTag(
                try Self.required(json, "key"), json["value"]?.stringValue ?? "", on: try Self.required(json, "name"),
                version: try Self.versionNumber(try Self.required(json, "version")), by: principal)
            return [:]
        }
        route(api, .delete, "/model-versions/delete-tag") { request, context, principal in
            let json = try await body(request, context)
            try await registry.setVersionTag(
                try Self.required(json, "key"), nil, on: try Self.required(json, "name"), version: try Self.versionNumber(try Self.required(json, "version")),
                by: principal)
            return [:]
        }
        route(api, .post, "/model-versions/transition-stage") { request, context, principal in
            let json = try await body(request, context)
            let name = try Self.required(json, "name")
            let number = try Self.versionNumber(try Self.required(json, "version"))
            let stage = try Self.required(json, "stage")
            try await transition(name, number, to: stage, archiveOthers: json["archive_existing_versions"]?.boolValue ?? false, principal)
            return ["model_version": try await versionJSON(try await registry.version(name, number, by: principal))]
        }
        route(api, .get, "/model-versions/get-download-uri") { request, _, principal in
            let name = try Self.requiredQuery(request, "name")
            let version = try await registry.version(name, try Self.versionNumber(try Self.requiredQuery(request, "version")), by: principal)
            return ["artifact_uri": .string("mlflow-artifacts:/" + Self.registryArtifactRoot(version.model, version.version))]
        }
    }

    /// The artefact root MLflow clients download a registered version from: the version's own
    /// immutable artefacts, authorised per model (`registry/NAME/N`, `/` in names as `~`).
    static func registryArtifactRoot(_ model: String, _ version: Int) -> String {
        "registry/\(model.replacingOccurrences(of: "/", with: "~"))/\(version)"
    }

    // MARK: JSON

    func registeredModelJSON(_ model: RegisteredModel) async throws -> JSONValue {
        let aliases = try await store.aliases(of: model.name)
        var members: [(String, JSONValue)] = [
            ("name", .string(model.name)), ("creation_timestamp", .int(model.createdAt)), ("last_updated_timestamp", .int(model.updatedAt)),
        ]
        if !model.description.isEmpty { members.append(("description", .string(model.description))) }
        let latest = try await latestVersions(of: model.name, stages: [])
        if !latest.isEmpty { members.append(("latest_versions", .array(latest))) }
        if !model.tags.isEmpty { members.append(("tags", Self.tagList(model.tags))) }
        if !aliases.isEmpty {
            members.append(("aliases", .array(aliases.sorted { $0.key < $1.key }.map { ["alias": .string($0.key), "version": .string(String($0.value))] })))
        }
        return .object(members)
    }

    func versionJSON(_ version: ModelVersion, aliases knownAliases: [String: Int]? = nil, origin knownOrigin: JSONValue? = nil) async throws -> JSONValue {
        let aliases: [String: Int]
        if let knownAliases { aliases = knownAliases } else { aliases = try await store.aliases(of: version.model) }
        let origin: JSONValue?
        if let knownOrigin { origin = knownOrigin } else { origin = try await store.document(Kind.versionOrigin, "\(version.model)#\(version.version)") }
        var members: [(String, JSONValue)] = [
            ("name", .string(version.model)), ("version", .string(String(version.version))), ("creation_timestamp", .int(version.createdAt)),
            ("last_updated_timestamp", .int(version.createdAt)), ("user_id", .string(version.uploader)),
            ("current_stage", .string(Self.stage(of: version.version, aliases: aliases))),
        ]
        if !version.description.isEmpty { members.append(("description", .string(version.description))) }
        members.append(("source", .string(origin?["source"]?.stringValue ?? "models:/\(version.model)/\(version.version)")))
        if let run = origin?["run_id"]?.stringValue, !run.isEmpty { members.append(("run_id", .string(run))) }
        members.append(("status", "READY"))
        if !version.tags.isEmpty { members.append(("tags", Self.tagList(version.tags))) }
        let names = aliases.filter { $0.value == version.version }.map(\.key).sorted()
        if !names.isEmpty { members.append(("aliases", .array(names.map { .string($0) }))) }
        if let model = origin?["model_id"]?.stringValue, !model.isEmpty { members.append(("model_id", .string(model))) }
        return .object(members)
    }

    /// The latest version in each stage (all stages when `stages` is empty), as MLflow reports them.
    /// Reads only the versions that can be latest: those the stage aliases point at, and the newest
    /// `stageAliases.count + 1` (one of them is in no stage), so its cost does not grow with the
    /// number of versions (`registered-models/get` precedes every write the MLflow client makes).
    func latestVersions(of name: String, stages: [String]) async throws -> [JSONValue] {
        let aliases = try await store.aliases(of: name)
        var versions = try await store.latestVersions(of: name, limit: Self.stageAliases.count + 1)
        for (_, alias) in Self.stageAliases {
            guard let number = aliases[alias], !versions.contains(where: { $0.version == number }),
                let version = try await store.version(name, number)
            else { continue }
            versions.append(version)
        }
        var latest: [String: ModelVersion] = [:]
        for version in versions {
            let stage = Self.stage(of: version.version, aliases: aliases)
            if let current = latest[stage], current.version > version.version { continue }
            latest[stage] = version
        }
        let wanted = Set(stages.map { $0.lowercased() })
        var out: [JSONValue] = []
        for (stage, version) in latest.sorted(by: { $0.value.version < $1.value.version })
        where wanted.isEmpty || wanted.contains(stage.lowercased()) {
            out.append(try await versionJSON(version, aliases: aliases))
        }
        return out
    }

    // MARK: operations

    /// `model-versions/create`: the source must be artefacts this server stores (a logged model,
    /// a run's artefact folder, or an `mlflow-artifacts:` path) in the caller's own workspace
    /// (admins: any); they become the version's
    /// immutable artefacts, checked like a native upload.
    func createVersion(_ json: JSONValue, _ principal: Principal) async throws -> JSONValue {
        let name = try Self.required(json, "name")
        let source = try Self.required(json, "source")
        let model = try await registry.model(name, by: principal)
        // The right to upload comes first, so the source is not even looked at for others; then the
        // source must be the caller's own workspace (registering it would publish it).
        try await registry.authorize(principal, .uploadVersion, model: model, subject: model.name)
        let (prefix, owner, document) = try await artifactPrefix(
            forSource: source, modelID: json["model_id"]?.stringValue, runID: json["run_id"]?.stringValue)
        if let owner, !(document.map { isOwner($0, principal) } ?? false) { _ = try await owned(owner.kind, owner.id, principal) }
        let files = try await store.documents(Kind.artifact, prefix: prefix, limit: server.configuration.limits.maxResults)
        guard !files.isEmpty else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "The source '\(source.prefix(200))' holds no artefacts on this server; log them first")
        }
        var artefacts: [ModelVersion.Artefact] = []
        for (path, record) in files {
            guard let digest = try? Digest(parsing: record["digest"]?.stringValue ?? ""), let size = record["size"]?.intValue else { continue }
            artefacts.append(.init(path: String(path.dropFirst(prefix.count)), digest: digest, size: size))
        }
        var draft = try server.versionDraft(model: model.name, artefacts: artefacts, signature: nil, provenance: nil, lineage: .init())
        draft.description = json["description"]?.stringValue ?? ""
        draft.tags = Self.tags(json["tags"])
        var origin: [(String, JSONValue)] = [("source", .string(source))]
        if let run = json["run_id"]?.stringValue { origin.append(("run_id", .string(run))) }
        if let id = json["model_id"]?.stringValue { origin.append(("model_id", .string(id))) }
        let originAudit = audit(principal, "mlflow.version.origin", name, ["source": .string(source)])
        let freezeAudit = owner.map { audit(principal, "mlflow.freeze", "\($0.kind)/\($0.id)") }
        // The version, where it came from, and the freeze of its source commit together (one
        // transaction, one sync): a crash never leaves a version without its origin.
        let version = try await registry.addVersion(draft, to: model, by: principal) { [origin] stored in
            let entry = "\(stored.model)#\(stored.version)"
            var subject = originAudit
            subject.subject = "\(stored.model)/\(stored.version)"
            var writes = [DocumentWrite(kind: Kind.versionOrigin, id: entry, value: .object(origin), audit: subject)]
            if let owner, var frozen = freezeAudit {
                frozen.details = ["version": .string(entry)]
                writes.append(Self.registration(owner, entry, audit: frozen))
            }
            return writes
        }
        // A new number has no alias pointing at it yet, and its origin is in hand: no reads.
        return ["model_version": try await versionJSON(version, aliases: [:], origin: .object(origin))]
    }

    /// Moves the stage aliases: Production/Staging point the alias at the version (through its
    /// gates); Archived/None remove any stage alias that points at it.
    func transition(_ name: String, _ number: Int, to stage: String, archiveOthers: Bool, _ principal: Principal) async throws {
        let aliases = try await store.aliases(of: name)
        switch stage.lowercased() {
        case "production", "staging":
            // An alias points at one version, so the version that held the stage leaves it either
            // way: `archive_existing_versions` changes nothing here.
            _ = archiveOthers
            _ = try await registry.moveAlias(stage.lowercased(), of: name, to: number, reason: "MLflow stage \(stage)", by: principal)
        case "archived", "none":
            for (_, alias) in Self.stageAliases where aliases[alias] == number {
                try await registry.removeAlias(alias, of: name, by: principal)
            }
            if stage.lowercased() == "archived" { try await registry.setVersionTag("mlflow.stage", "Archived", on: name, version: number, by: principal) }
        default:
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: \(stage.prefix(40)). Value must be one of None, Staging, Production, Archived.")
        }
    }

    func searchModels(filter: String?, maxResults: String?, pageToken: String?, _ principal: Principal) async throws -> JSONValue {
        let parsed = try MLflowFilter(parsing: filter)
        let limit = min(Int(maxResults ?? "") ?? 100, server.configuration.limits.maxResults)
        let start = Int(pageToken ?? "") ?? 0
        let visible = try await store.models().filter { model in
            registry.policy.decide(principal, .readModel, model: model).allowed
                && parsed.matches(attributes: ["name": model.name, "description": model.description], tags: model.tags)
        }
        let page = visible.dropFirst(start).prefix(limit)
        var out: [(String, JSONValue)] = [("registered_models", .array(try await page.asyncMap { try await registeredModelJSON($0) }))]
        if start + page.count < visible.count { out.append(("next_page_token", .string(String(start + page.count)))) }
        return .object(out)
    }

    func searchVersions(filter: String?, maxResults: String?, _ principal: Principal) async throws -> JSONValue {
        let parsed = try MLflowFilter(parsing: filter)
        let limit = min(Int(maxResults ?? "") ?? 10_000, server.configuration.limits.maxResults)
        // `name = 'x'` narrows to one model; otherwise every readable model is searched.
        var names: [String]
        if let clause = parsed.clauses.first(where: { $0.key == .attribute("name") && $0.op == .equal }) {
            names = [clause.values[0]]
        } else {
            names = try await store.models().map(\.name)
        }
        var out: [JSONValue] = []
        for name in names where out.count < limit {
            guard let model = try await store.model(named: name), registry.policy.decide(principal, .readModel, model: model).allowed else { continue }
            let aliases = try await store.aliases(of: name)
            for version in try await store.versions(of: name).reversed() where out.count < limit {
                let origin = try await store.document(Kind.versionOrigin, "\(name)#\(version.version)")
                let attributes = [
                    "name": name, "run_id": origin?["run_id"]?.stringValue ?? "", "source_path": origin?["source"]?.stringValue ?? "",
                    "version_number": String(version.version), "description": version.description,
                ]
                if parsed.matches(attributes: attributes, tags: version.tags) { out.append(try await versionJSON(version, aliases: aliases)) }
            }
        }
        return ["model_versions": .array(out)]
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
