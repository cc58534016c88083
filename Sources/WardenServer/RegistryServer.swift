import Foundation
import Hummingbird
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenRegistrySQLite

/// The registry's HTTP API (`/api/v1/…`) on Hummingbird 2: models, immutable versions whose
/// artefacts are stored by digest, signature and provenance checks on upload, approvals, aliases
/// behind gates, rollback, downloads and the audit chain. Every route is authenticated and
/// authorised by ``Registry``; every write, download and denial is audited.
public struct RegistryServer: Sendable {
    public let registry: Registry
    public let blobs: BlobStore
    /// Public keys whose signatures and attestations the gates accept.
    public let trustedKeys: [PublicKey]
    public let dataDirectory: String
    /// Largest artefact accepted in one upload.
    public var maxArtefactBytes: Int

    public init(registry: Registry, blobs: BlobStore, trustedKeys: [PublicKey], dataDirectory: String, maxArtefactBytes: Int = 8 << 30) {
        self.registry = registry
        self.blobs = blobs
        self.trustedKeys = trustedKeys
        self.dataDirectory = dataDirectory
        self.maxArtefactBytes = maxArtefactBytes
    }

    /// Opens (creating) the embedded stores under `data`: `registry.sqlite` and `blobs/`. With
    /// `adminToken` and no principals yet, seeds the first admin holding that token.
    public static func open(data: String, trustedKeys: [PublicKey], adminToken: String?, clock: WardenClock = .system) async throws -> RegistryServer {
        try FileIO.makeDirectory(data)
        let store = try SQLiteRegistryStore(path: data + "/registry.sqlite")
        let registry = Registry(store: store, clock: clock)
        if let adminToken {
            try await seedAdmin(token: adminToken, registry: registry)
        }
        return RegistryServer(registry: registry, blobs: BlobStore(root: data + "/blobs"), trustedKeys: trustedKeys, dataDirectory: data)
    }

    /// Stores the admin principal and the given token (its salted hash) when the admin is missing.
    static func seedAdmin(token: String, registry: Registry) async throws {
        let now = Int64(registry.clock.now().timeIntervalSince1970 * 1000)
        guard let record = APIToken.record(for: token, principalID: "admin", name: "seeded admin", now: now) else {
            throw WardenError.invalidInput("The admin token is not a Warden token (wdn_<12 hex>_<43 base64url>); make one with `warden serve --new-token`")
        }
        if try await registry.store.principal(id: "admin") != nil, try await registry.store.token(id: record.id) != nil { return }
        let time = registry.clock.timestamp()
        try await registry.store.savePrincipal(
            Principal(id: "admin", name: "admin", roles: [.admin]), audit: AuditDraft(time: time, actor: "system", action: "principal.seed", subject: "admin"))
        try await registry.store.saveToken(record, audit: AuditDraft(time: time, actor: "system", action: "token.create", subject: "admin/\(record.id)"))
    }

    public func router() -> Router<WardenRequestContext> {
        let router = Router(context: WardenRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(registry: registry))
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        let api = router.group("/api/v1")
        api.post("/models") { request, context in try await self.createModel(request, context) }
        api.get("/models") { _, context in try await self.listModels(context) }
        api.get("/models/:name") { _, context in
            let model = try await self.registry.model(try context.parameters.require("name"), by: try context.requirePrincipal())
            return JSONResponse.make(Self.json(model))
        }
        api.put("/blobs") { request, context in try await self.uploadBlob(request, context) }
        api.post("/models/:name/versions") { request, context in try await self.createVersion(request, context) }
        api.get("/models/:name/versions/:version") { _, context in try await self.getVersion(context) }
        api.get("/models/:name/versions/:version/artefacts/**") { _, context in try await self.download(context) }
        api.post("/models/:name/versions/:version/approve") { _, context in
            let approval = try await self.registry.approve(
                try context.parameters.require("name"), version: try context.parameters.require("version", as: Int.self),
                by: try context.requirePrincipal())
            return JSONResponse.make(["reviewer": .string(approval.reviewer), "time": .int(approval.time)], status: .created)
        }
        api.put("/models/:name/aliases/:alias") { request, context in try await self.moveAlias(request, context) }
        api.post("/models/:name/aliases/:alias/rollback") { _, context in
            let move = try await self.registry.rollback(
                try context.parameters.require("alias"), of: try context.parameters.require("name"), by: try context.requirePrincipal())
            return JSONResponse.make(Self.json(move))
        }
        api.get("/audit") { request, context in try await self.audit(request, context) }
        return router
    }

    // MARK: handlers

    func body(_ request: Request, _ context: WardenRequestContext) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONParser(maxDepth: 32, maxBytes: context.maxUploadSize).parse(Array(buffer.readableBytesView), source: "the request body")
        } catch {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", error.message)
        }
    }

    func createModel(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let json = try await body(request, context)
        guard let name = json["name"]?.stringValue else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'name' is required") }
        var attributes: [String: String] = [:]
        for (key, value) in json["attributes"]?.objectValue ?? [] { attributes[key] = value.stringValue ?? value.canonicalString }
        do {
            let model = try await registry.createModel(
                name, description: json["description"]?.stringValue ?? "", attributes: attributes, by: try context.requirePrincipal())
            return JSONResponse.make(Self.json(model), status: .created)
        } catch let error as WardenError where error.message.contains("already exists") {
            throw APIError(.conflict, "RESOURCE_ALREADY_EXISTS", error.message)
        }
    }

    func listModels(_ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let visible = try await registry.store.models().filter { registry.policy.decide(principal, .readModel, model: $0).allowed }
        return JSONResponse.make(["models": .array(visible.map(Self.json))])
    }

    /// Streams a body into the blob store (hashing while writing), bounded by ``maxArtefactBytes``.
    func uploadBlob(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.roles.contains(where: { $0.actions.contains(.uploadVersion) }) || !principal.grants.filter({ $0.role.actions.contains(.uploadVersion) }).isEmpty else {
            throw Registry.Refusal.forbidden("'\(principal.name)' may not upload artefacts")
        }
        let temp = try FileIO.temporaryFile(in: dataDirectory + "/tmp")
        defer { try? FileIO.removeFile(temp.path) }
        var total = 0
        for try await buffer in request.body {
            total += buffer.readableBytes
            guard total <= maxArtefactBytes else {
                throw APIError(.contentTooLarge, "REQUEST_TOO_LARGE", "artefacts are limited to \(maxArtefactBytes) bytes")
            }
            try buffer.withUnsafeReadableBytes { try temp.write($0) }
        }
        try temp.close()
        let stored = try blobs.put(file: temp.path)
        return JSONResponse.make(["digest": .string(stored.digest.description), "size": .int(stored.size)], status: .created)
    }

    func createVersion(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.parameters.require("name")
        let json = try await body(request, context)
        guard let list = json["artefacts"]?.arrayValue, !list.isEmpty else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'artefacts' must list at least one {path, digest}")
        }
        var artefacts: [ModelVersion.Artefact] = []
        for item in list {
            guard let path = item["path"]?.stringValue, Self.isSafeRelativePath(path), let text = item["digest"]?.stringValue else {
                throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "each artefact needs a safe relative 'path' and a 'digest'")
            }
            let digest = try Digest(parsing: text)
            guard blobs.contains(digest) else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "upload \(digest) to /api/v1/blobs first") }
            artefacts.append(.init(path: path, digest: digest, size: try FileIO.size(of: blobs.path(for: digest))))
        }
        guard Set(artefacts.map(\.path)).count == artefacts.count else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "artefact paths repeat") }
        let checks = UploadChecks(blobs: blobs, trustedKeys: trustedKeys, scratch: dataDirectory + "/tmp")
        var lineage = ModelVersion.Lineage(parentVersion: json["parent"]?.intValue.map(Int.init))
        if let dataset = json["dataset"]?.stringValue { lineage.datasetDigest = try Digest(parsing: dataset) }
        var signature: ModelVersion.Check?
        if let text = json["signature"]?.stringValue { signature = try checks.signature(try Digest(parsing: text), artefacts: artefacts) }
        var provenance: ModelVersion.Check?
        if let text = json["provenance"]?.stringValue {
            let digest = try Digest(parsing: text)
            lineage.provenanceDigest = digest
            provenance = try checks.provenance(digest, artefacts: artefacts)
        }
        let draft = ModelVersion(
            model: name, version: 0, artefacts: artefacts, description: json["description"]?.stringValue ?? "", lineage: lineage,
            uploader: principal.name, createdAt: 0, signature: signature, provenance: provenance, scan: nil)
        let version = try await registry.addVersion(draft, by: principal)
        return JSONResponse.make(Self.json(version), status: .created)
    }

    func getVersion(_ context: WardenRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let number = try context.parameters.require("version", as: Int.self)
        _ = try await registry.model(name, by: try context.requirePrincipal())
        guard let version = try await registry.store.version(name, number) else { throw WardenError.notFound("No version \(number) of '\(name)'") }
        return JSONResponse.make(Self.json(version))
    }

    /// Streams an artefact from the blob store; audited.
    func download(_ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.parameters.require("name")
        let number = try context.parameters.require("version", as: Int.self)
        let path = context.parameters.getCatchAll().joined(separator: "/")
        let model = try await registry.store.model(named: name)
        guard let model else { throw WardenError.notFound("No model named '\(name)'") }
        let decision = registry.policy.decide(principal, .downloadArtefact, model: model)
        guard decision.allowed else {
            try await registry.store.appendAudit(AuditDraft(time: registry.clock.timestamp(), actor: principal.name, action: "auth.denied", subject: "\(name)/\(number)/\(path)", details: ["action": "artefact.download"]))
            throw Registry.Refusal.forbidden(decision.reason)
        }
        guard let version = try await registry.store.version(name, number), let artefact = version.artefacts.first(where: { $0.path == path }) else {
            throw WardenError.notFound("'\(name)' version \(number) has no artefact '\(path)'")
        }
        try await registry.store.appendAudit(
            AuditDraft(time: registry.clock.timestamp(), actor: principal.name, action: "artefact.download", subject: "\(name)/\(number)/\(path)", details: ["digest": .string(artefact.digest.description)]))
        let file = blobs.path(for: artefact.digest)
        let body = ResponseBody(contentLength: Int(artefact.size)) { writer in
            try await FileStreaming.write(file, to: &writer)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .init("X-Warden-Digest")!: artefact.digest.description],
            body: body)
    }

    func moveAlias(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let json = try await body(request, context)
        guard let version = json["version"]?.intValue else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'version' is required") }
        let move = try await registry.moveAlias(
            try context.parameters.require("alias"), of: try context.parameters.require("name"), to: Int(version),
            reason: json["reason"]?.stringValue ?? "", by: try context.requirePrincipal())
        return JSONResponse.make(Self.json(move))
    }

    func audit(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard registry.policy.decide(principal, .readAudit).allowed else { throw Registry.Refusal.forbidden("'\(principal.name)' may not read the audit chain") }
        let from = request.uri.queryParameters["from"].flatMap { Int64(String($0)) } ?? 1
        let limit = min(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 1000, 10_000)
        let events = try await registry.store.auditEvents(from: from, limit: limit)
        return JSONResponse.make(["events": .array(events.map(\.json))])
    }

    // MARK: JSON

    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.utf8.contains(0)
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func json(_ model: RegisteredModel) -> JSONValue {
        [
            "name": .string(model.name), "description": .string(model.description),
            "attributes": .object(model.attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
            "tags": .object(model.tags.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
            "created_at": .int(model.createdAt), "updated_at": .int(model.updatedAt),
        ]
    }

    static func json(_ version: ModelVersion) -> JSONValue {
        func check(_ c: ModelVersion.Check?) -> JSONValue {
            guard let c else { return .null }
            return ["passed": .bool(c.passed), "key_id": c.keyID.map { .string($0) } ?? .null, "detail": .string(c.detail)]
        }
        return [
            "model": .string(version.model), "version": .int(Int64(version.version)), "uploader": .string(version.uploader),
            "created_at": .int(version.createdAt), "description": .string(version.description),
            "artefacts": .array(version.artefacts.map { ["path": .string($0.path), "digest": .string($0.digest.description), "size": .int($0.size)] }),
            "signature": check(version.signature), "provenance": check(version.provenance),
            "scan": version.scan.map { ["highest_severity": $0.highestSeverity.map { .string($0) } ?? .null, "findings": .int(Int64($0.findings))] } ?? .null,
        ]
    }

    static func json(_ move: AliasMove) -> JSONValue {
        [
            "model": .string(move.model), "alias": .string(move.alias), "from": move.from.map { .int(Int64($0)) } ?? .null,
            "to": move.to.map { .int(Int64($0)) } ?? .null, "actor": .string(move.actor), "time": .int(move.time),
        ]
    }
}
