import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// The tracking side MLflow 3's `log_model` needs: experiments, runs and logged models. Runs and
/// logged models are workspaces of their creator (admins see all); they become shared only once
/// registered as a version, through the registry's own rules. Experiments (names and tags, no
/// data) are readable as ``mayRead(experiment:_:)`` says.
extension MLflowAPI {
    func addTrackingRoutes(_ api: RouterGroup<Context>) {
        route(api, .get, "/experiments/get-by-name") { request, _, principal in
            try await requireReader(principal)
            let name = try Self.requiredQuery(request, "experiment_name")
            guard let id = try await experimentID(named: name) else {
                throw APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '\(name.prefix(200))'")
            }
            return ["experiment": Self.experimentJSON(try await readableExperiment(id, principal))]
        }
        route(api, .get, "/experiments/get") { request, _, principal in
            try await requireReader(principal)
            return ["experiment": Self.experimentJSON(try await readableExperiment(try Self.requiredQuery(request, "experiment_id"), principal))]
        }
        route(api, .post, "/experiments/create") { request, context, principal in
            try await server.requireUploader(principal, subject: "mlflow/experiments")
            let json = try await body(request, context)
            return ["experiment_id": .string(try await createExperiment(try Self.required(json, "name"), tags: Self.tags(json["tags"]), principal))]
        }
        route(api, .post, "/experiments/search") { _, _, principal in
            try await requireReader(principal)
            _ = try await experimentID(named: "Default")
            let all = try await store.documents(Kind.experiment, prefix: "", limit: server.configuration.limits.maxResults)
            return ["experiments": .array(all.filter { mayRead(experiment: $0.value, principal) }.map { Self.experimentJSON($0.value) })]
        }
        route(api, .post, "/runs/create") { request, context, principal in
            try await server.requireUploader(principal, subject: "mlflow/runs")
            return ["run": try await createRun(try await body(request, context), principal)]
        }
        route(api, .get, "/runs/get") { request, _, principal in
            let id = Self.query(request, "run_id") ?? Self.query(request, "run_uuid") ?? ""
            return ["run": Self.runJSON(try await owned(Kind.run, id, principal))]
        }
        route(api, .post, "/runs/update") { request, context, principal in
            let json = try await body(request, context)
            let id = json["run_id"]?.stringValue ?? json["run_uuid"]?.stringValue ?? ""
            let run = try await update(Kind.run, id, principal, action: "mlflow.run.update") { run in
                if let status = json["status"]?.stringValue { run = run.setting("status", .string(status)) }
                if let end = json["end_time"]?.intValue { run = run.setting("end_time", .int(end)) }
                if let name = json["run_name"]?.stringValue { run = run.setting("run_name", .string(name)) }
            }
            return ["run_info": Self.runInfoJSON(run)]
        }
        route(api, .post, "/runs/log-batch") { request, context, principal in
            let json = try await body(request, context)
            try await logToRun(try Self.required(json, "run_id"), principal, params: json["params"], metrics: json["metrics"], tags: json["tags"])
            return [:]
        }
        route(api, .post, "/runs/log-parameter") { request, context, principal in
            let json = try await body(request, context)
            let id = json["run_id"]?.stringValue ?? json["run_uuid"]?.stringValue ?? ""
            try await logToRun(id, principal, params: [["key": json["key"] ?? "", "value": json["value"] ?? ""]], metrics: nil, tags: nil)
            return [:]
        }
        route(api, .post, "/runs/log-metric") { request, context, principal in
            let json = try await body(request, context)
            let id = json["run_id"]?.stringValue ?? json["run_uuid"]?.stringValue ?? ""
            try await logToRun(id, principal, params: nil, metrics: .array([json]), tags: nil)
            return [:]
        }
        route(api, .post, "/runs/set-tag") { request, context, principal in
            let json = try await body(request, context)
            let id = json["run_id"]?.stringValue ?? json["run_uuid"]?.stringValue ?? ""
            try await logToRun(id, principal, params: nil, metrics: nil, tags: [["key": json["key"] ?? "", "value": json["value"] ?? ""]])
            return [:]
        }
        route(api, .post, "/runs/outputs") { request, context, principal in
            let json = try await body(request, context)
            _ = try await update(Kind.run, try Self.required(json, "run_id"), principal, action: "mlflow.run.outputs") { run in
                let models = (run["outputs"]?.arrayValue ?? []) + (json["models"]?.arrayValue ?? [])
                run = run.setting("outputs", .array(models))
            }
            return [:]
        }
        route(api, .get, "/metrics/get-history") { request, _, principal in
            let id = Self.query(request, "run_id") ?? Self.query(request, "run_uuid") ?? ""
            let key = try Self.requiredQuery(request, "metric_key")
            let run = try await owned(Kind.run, id, principal)
            return ["metrics": .array((run["metrics"]?.arrayValue ?? []).filter { $0["key"]?.stringValue == key })]
        }
        route(api, .post, "/runs/log-inputs") { request, context, principal in
            let json = try await body(request, context)
            _ = try await owned(Kind.run, try Self.required(json, "run_id"), principal)
            return [:]
        }
        route(api, .post, "/logged-models") { request, context, principal in
            try await server.requireUploader(principal, subject: "mlflow/logged-models")
            return ["model": Self.loggedModelJSON(try await createLoggedModel(try await body(request, context), principal))]
        }
        route(api, .get, "/logged-models/:id") { _, context, principal in
            ["model": Self.loggedModelJSON(try await readable(Kind.loggedModel, try context.parameters.require("id"), principal))]
        }
        route(api, .patch, "/logged-models/:id") { request, context, principal in
            let json = try await body(request, context)
            let model = try await update(Kind.loggedModel, try context.parameters.require("id"), principal, action: "mlflow.logged-model.finalize") { model in
                if let status = json["status"]?.stringValue { model = model.setting("status", .string(status)) }
            }
            return ["model": Self.loggedModelJSON(model)]
        }
        route(api, .patch, "/logged-models/:id/tags") { request, context, principal in
            let json = try await body(request, context)
            _ = try await update(Kind.loggedModel, try context.parameters.require("id"), principal, action: "mlflow.logged-model.tags") { model in
                model = model.setting("tags", Self.merged(model["tags"], Self.tags(json["tags"])))
            }
            return [:]
        }
        route(api, .post, "/logged-models/:id/params") { request, context, principal in
            let json = try await body(request, context)
            _ = try await update(Kind.loggedModel, try context.parameters.require("id"), principal, action: "mlflow.logged-model.params") { model in
                model = model.setting("params", Self.merged(model["params"], Self.tags(json["params"])))
            }
            return [:]
        }
        route(api, .post, "/logged-models/search") { _, _, principal in
            try await requireReader(principal)
            let all = try await store.documents(Kind.loggedModel, prefix: "", limit: server.configuration.limits.maxResults)
            return ["models": .array(all.filter { isOwner($0.value, principal) }.map { Self.loggedModelJSON($0.value) })]
        }
    }

    // MARK: authorisation of tracking objects

    /// Reading tracking objects needs some role that reads models.
    func requireReader(_ principal: Principal) async throws {
        let may = principal.roles.contains { $0.actions.contains(.readModel) } || principal.grants.contains { $0.role.actions.contains(.readModel) }
        guard may else {
            try await store.appendAudit(audit(principal, "auth.denied", "mlflow/tracking", ["action": "model.read"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' may not read experiments")
        }
    }

    /// Who may read an experiment (and so find it, and create runs and logged models in it): its
    /// creator, admins, and the global roles that read every model (maintainer, reviewer, reader).
    /// A grant on some models opens no one else's experiment; the shared Default experiment (id 0)
    /// is open to everyone who passes ``requireReader(_:)``.
    func mayRead(experiment record: JSONValue, _ principal: Principal) -> Bool {
        isOwner(record, principal) || record["experiment_id"]?.stringValue == "0"
            || principal.roles.contains { $0.actions.contains(.readModel) }
    }

    /// The experiment `id` if the caller may read it; 404 if there is none, 403 (audited) if not.
    func readableExperiment(_ id: String, _ principal: Principal) async throws -> JSONValue {
        if id == "0" { _ = try await defaultExperiment() }
        guard let record = try await store.document(Kind.experiment, id) else {
            throw APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=\(id.prefix(64)) exists")
        }
        guard mayRead(experiment: record, principal) else {
            try await store.appendAudit(audit(principal, "auth.denied", "\(Kind.experiment)/\(id)", ["reason": "not the owner, no global read role"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' may not read experiment \(id.prefix(64))")
        }
        return record
    }

    func isOwner(_ document: JSONValue, _ principal: Principal) -> Bool {
        principal.roles.contains(.admin) || document["owner"]?.stringValue == principal.id
    }

    /// A run or logged model the caller created (admins: any); others are denied and audited.
    func owned(_ kind: String, _ id: String, _ principal: Principal) async throws -> JSONValue {
        guard !id.isEmpty, let document = try await store.document(kind, id) else {
            throw APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", "\(kind == Kind.run ? "Run" : "Logged model") with id '\(id.prefix(64))' not found")
        }
        guard isOwner(document, principal) else {
            try await store.appendAudit(audit(principal, "auth.denied", "\(kind)/\(id)", ["reason": "not the owner"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' did not create \(id.prefix(64))")
        }
        return document
    }

    /// A logged model the caller created, or one registered as a version the caller may read.
    func readable(_ kind: String, _ id: String, _ principal: Principal) async throws -> JSONValue {
        guard !id.isEmpty, let document = try await store.document(kind, id) else {
            throw APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", "Logged model with id '\(id.prefix(64))' not found")
        }
        if isOwner(document, principal) { return document }
        let entries = try await registrations(kind, id, document, limit: server.configuration.limits.maxResults)
        if try await anyRegistration(entries, allows: .readModel, principal) { return document }
        try await store.appendAudit(audit(principal, "auth.denied", "\(kind)/\(id)", ["reason": "not the owner"]))
        throw Registry.Refusal.forbidden("'\(principal.name)' may not read \(id.prefix(64))")
    }

    /// Read-modify-write of an owned document (metadata only: registered artefacts stay frozen,
    /// see the artefact upload).
    func update(
        _ kind: String, _ id: String, _ principal: Principal, action: String, _ change: (inout JSONValue) throws -> Void
    ) async throws -> JSONValue {
        var document = try await owned(kind, id, principal)
        try change(&document)
        document = document.setting(kind == Kind.run ? "last_update" : "last_updated_timestamp_ms", .int(nowMillis))
        try await store.saveDocument(kind, id, document, onlyIfAbsent: false, audit: audit(principal, action, "\(kind)/\(id)"))
        return document
    }

    /// The record that marks a logged model or run as registered as `entry` (`NAME#VERSION`): from
    /// then on its artefacts cannot change. One small document per registration, so registering
    /// the same run for the thousandth time costs what the first did.
    static func registration(_ owner: (kind: String, id: String), _ entry: String, audit: AuditDraft) -> DocumentWrite {
        DocumentWrite(kind: Kind.registration, id: "\(owner.kind)/\(owner.id)/\(entry)", value: ["version": .string(entry)], audit: audit)
    }

    /// The `NAME#VERSION` entries `document` (of `kind`/`id`) was registered as, at most `limit`.
    func registrations(_ kind: String, _ id: String, _ document: JSONValue, limit: Int) async throws -> [String] {
        let legacy = document["registered"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let prefix = "\(kind)/\(id)/"
        let records = try await store.documents(Kind.registration, prefix: prefix, limit: max(0, limit - legacy.count))
        return legacy + records.map { String($0.id.dropFirst(prefix.count)) }
    }

    /// Whether any of `entries` (`NAME#VERSION`) names a model `principal` may `action`.
    func anyRegistration(_ entries: [String], allows action: RegistryAction, _ principal: Principal) async throws -> Bool {
        for name in Set(entries.map { String($0.split(separator: "#").first ?? "") }) {
            if let model = try await store.model(named: name), registry.policy.decide(principal, action, model: model).allowed { return true }
        }
        return false
    }

    // MARK: experiments

    func experimentID(named name: String) async throws -> String? {
        if let id = try await store.document(Kind.experimentName, name)?["id"]?.stringValue { return id }
        if name == "Default" { return try await defaultExperiment() }
        return nil
    }

    /// Experiment "0", "Default", made on first use as MLflow servers do.
    func defaultExperiment() async throws -> String {
        if try await store.document(Kind.experiment, "0") != nil { return "0" }
        let system = Principal(id: "system", name: "system")
        let record = Self.experimentRecord(id: "0", name: "Default", now: nowMillis, owner: "system", tags: [:])
        if try await store.saveDocument(Kind.experimentName, "Default", ["id": "0"], onlyIfAbsent: true, audit: audit(system, "mlflow.experiment.create", "Default")) {
            try await store.saveDocument(Kind.experiment, "0", record, onlyIfAbsent: true, audit: audit(system, "mlflow.experiment.save", "0"))
        }
        return "0"
    }

    func createExperiment(_ name: String, tags: [String: String], _ principal: Principal) async throws -> String {
        guard (1...500).contains(name.count) else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "An experiment name must be 1–500 characters") }
        _ = try await defaultExperiment()
        let count = try await store.documents(Kind.experiment, prefix: "", limit: 1_000_000).count
        var id = count
        // Claim the name first (unique across replicas), then the first free id.
        guard try await store.saveDocument(Kind.experimentName, name, ["id": .string("pending")], onlyIfAbsent: true, audit: audit(principal, "mlflow.experiment.create", name)) else {
            throw APIError(.badRequest, "RESOURCE_ALREADY_EXISTS", "Experiment '\(name.prefix(200))' already exists.")
        }
        while true {
            let record = Self.experimentRecord(id: String(id), name: name, now: nowMillis, owner: principal.id, tags: tags)
            if try await store.saveDocument(Kind.experiment, String(id), record, onlyIfAbsent: true, audit: audit(principal, "mlflow.experiment.save", String(id))) { break }
            id += 1
        }
        try await store.saveDocument(Kind.experimentName, name, ["id": .string(String(id))], onlyIfAbsent: false, audit: audit(principal, "mlflow.experiment.name", name))
        return String(id)
    }

    static func experimentRecord(id: String, name: String, now: Int64, owner: String, tags: [String: String]) -> JSONValue {
        [
            "experiment_id": .string(id), "name": .string(name), "artifact_location": .string("mlflow-artifacts:/\(id)"),
            "lifecycle_stage": "active", "creation_time": .int(now), "last_update_time": .int(now), "owner": .string(owner),
            "tags": tagList(tags),
        ]
    }

    static func experimentJSON(_ record: JSONValue) -> JSONValue {
        record.removing("owner")
    }

    // MARK: runs

    func createRun(_ json: JSONValue, _ principal: Principal) async throws -> JSONValue {
        let experiment = json["experiment_id"]?.stringValue ?? "0"
        _ = try await readableExperiment(experiment, principal)
        let id = Self.randomHex(16)
        let tags = Self.tags(json["tags"])
        let name = json["run_name"]?.stringValue ?? tags["mlflow.runName"] ?? "run-\(id.prefix(8))"
        let record: JSONValue = [
            "run_id": .string(id), "experiment_id": .string(experiment), "run_name": .string(name), "user_id": .string(principal.name),
            "status": "RUNNING", "start_time": .int(json["start_time"]?.intValue ?? nowMillis),
            "artifact_uri": .string("mlflow-artifacts:/\(experiment)/\(id)/artifacts"), "lifecycle_stage": "active", "owner": .string(principal.id),
            "tags": Self.tagList(tags.merging(["mlflow.runName": name]) { a, _ in a }), "params": [], "metrics": [],
        ]
        try await store.saveDocument(Kind.run, id, record, onlyIfAbsent: true, audit: audit(principal, "mlflow.run.create", "\(Kind.run)/\(id)"))
        return Self.runJSON(record)
    }

    func logToRun(_ id: String, _ principal: Principal, params: JSONValue?, metrics: JSONValue?, tags: JSONValue?) async throws {
        _ = try await update(Kind.run, id, principal, action: "mlflow.run.log") { run in
            if let params { run = run.setting("params", Self.merged(run["params"], Self.tags(params))) }
            if let tags { run = run.setting("tags", Self.merged(run["tags"], Self.tags(tags))) }
            if let metrics = metrics?.arrayValue, !metrics.isEmpty {
                let kept = (run["metrics"]?.arrayValue ?? []) + metrics.map { metric -> JSONValue in
                    ["key": metric["key"] ?? "", "value": metric["value"] ?? 0, "timestamp": metric["timestamp"] ?? .int(nowMillis), "step": metric["step"] ?? 0]
                }
                guard kept.count <= 100_000 else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "A run keeps at most 100000 metric values") }
                run = run.setting("metrics", .array(kept))
            }
        }
    }

    static func runInfoJSON(_ run: JSONValue) -> JSONValue {
        var members: [(String, JSONValue)] = []
        for key in ["run_id", "experiment_id", "run_name", "user_id", "status", "start_time", "end_time", "artifact_uri", "lifecycle_stage"] {
            if let value = run[key] { members.append((key, value)) }
        }
        members.insert(("run_uuid", run["run_id"] ?? ""), at: 1)
        return .object(members)
    }

    static func runJSON(_ run: JSONValue) -> JSONValue {
        // MLflow reports the latest value of each metric in run data.
        var latest: [String: JSONValue] = [:]
        for metric in run["metrics"]?.arrayValue ?? [] { if let key = metric["key"]?.stringValue { latest[key] = metric } }
        return [
            "info": runInfoJSON(run),
            "data": ["tags": run["tags"] ?? [], "params": run["params"] ?? [], "metrics": .array(latest.keys.sorted().map { latest[$0]! })],
            "inputs": [:], "outputs": ["model_outputs": .array(run["outputs"]?.arrayValue ?? [])],
        ]
    }

    // MARK: logged models

    func createLoggedModel(_ json: JSONValue, _ principal: Principal) async throws -> JSONValue {
        let experiment = json["experiment_id"]?.stringValue ?? "0"
        _ = try await readableExperiment(experiment, principal)
        if let run = json["source_run_id"]?.stringValue, !run.isEmpty { _ = try await owned(Kind.run, run, principal) }
        let id = "m-" + Self.randomHex(16)
        let now = nowMillis
        let record: JSONValue = [
            "model_id": .string(id), "experiment_id": .string(experiment), "name": .string(json["name"]?.stringValue ?? "model"),
            "artifact_uri": .string("mlflow-artifacts:/\(experiment)/models/\(id)/artifacts"), "status": "LOGGED_MODEL_PENDING",
            "creation_timestamp_ms": .int(now), "last_updated_timestamp_ms": .int(now), "source_run_id": json["source_run_id"] ?? "",
            "model_type": json["model_type"] ?? "", "tags": Self.tagList(Self.tags(json["tags"])), "params": Self.tagList(Self.tags(json["params"])),
            "owner": .string(principal.id), "registered": [],
        ]
        try await store.saveDocument(Kind.loggedModel, id, record, onlyIfAbsent: true, audit: audit(principal, "mlflow.logged-model.create", "\(Kind.loggedModel)/\(id)"))
        return record
    }

    static func loggedModelJSON(_ model: JSONValue) -> JSONValue {
        var info: [(String, JSONValue)] = []
        for key in [
            "model_id", "experiment_id", "name", "creation_timestamp_ms", "last_updated_timestamp_ms", "artifact_uri", "status", "model_type", "source_run_id",
            "tags",
        ] {
            if let value = model[key], value != "" { info.append((key, value)) }
        }
        return ["info": .object(info), "data": ["params": model["params"] ?? []]]
    }

    // MARK: helpers

    static func merged(_ list: JSONValue?, _ new: [String: String]) -> JSONValue {
        tagList(tags(list).merging(new) { _, b in b })
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

extension JSONValue {
    /// A copy of an object with `key` set (replaced in place, or appended).
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard var members = objectValue else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }

    /// A copy of an object without `key`.
    func removing(_ key: String) -> JSONValue {
        guard let members = objectValue else { return self }
        return .object(members.filter { $0.0 != key })
    }
}
