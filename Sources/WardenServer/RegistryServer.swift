import Foundation
import Hummingbird
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenRegistryPostgres
import WardenRegistrySQLite

/// The registry's HTTP API (`/api/v1/…`) on Hummingbird 2: models, immutable versions whose
/// artefacts are stored by digest, signature and provenance checks on upload, approvals, aliases
/// behind gates, rollback, downloads and the audit chain. Every route is authenticated and
/// authorised by ``Registry``; every write, download and denial is audited.
public struct RegistryServer: Sendable {
    public let registry: Registry
    public let blobs: BlobStore
    /// Encrypts the blobs at rest when set (warden.yaml `encryption.keyring`).
    public let keyring: Keyring?
    /// Public keys whose signatures and attestations the gates accept.
    public let trustedKeys: [PublicKey]
    public let dataDirectory: String
    public let configuration: ServerConfiguration
    /// Signs the audit chain's head every N entries (warden.yaml `audit.signing_key`).
    public let checkpoints: AuditCheckpoints?
    /// Accepts an external issuer's JWTs (warden.yaml `auth.jwt`).
    let jwt: JWTAuthenticator?
    /// The gateway's per-request audit events on their way to the chain, committed in batches.
    let auditQueue: AuditQueue
    /// Scan reports already stored (an equal report is not encoded and hashed again).
    let storedScanReports = StoredScanReports()
    /// Largest artefact accepted in one upload.
    public var maxArtefactBytes: Int { configuration.limits.maxArtefactBytes }
    /// The server's folders as they may appear in library errors (as configured and absolute):
    /// error responses replace them with `<data>`.
    var privatePaths: [String] {
        var paths = [dataDirectory, blobs.root] + (keyring.map { [$0.directory] } ?? [])
        paths += paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        return Array(Set(paths))
    }
    /// The blobs as artefacts: plain, or encrypted with ``keyring``.
    var artefacts: ArtefactStore { ArtefactStore(blobs: blobs, keyring: keyring) }

    public init(
        registry: Registry, blobs: BlobStore, trustedKeys: [PublicKey], configuration: ServerConfiguration, checkpoints: AuditCheckpoints? = nil,
        keyring: Keyring? = nil
    ) {
        self.init(registry: registry, blobs: blobs, trustedKeys: trustedKeys, configuration: configuration, checkpoints: checkpoints, jwt: nil, keyring: keyring)
    }

    init(
        registry: Registry, blobs: BlobStore, trustedKeys: [PublicKey], configuration: ServerConfiguration, checkpoints: AuditCheckpoints?,
        jwt: JWTAuthenticator?, keyring: Keyring?
    ) {
        self.keyring = keyring
        self.checkpoints = checkpoints
        self.jwt = jwt
        self.registry = registry
        self.auditQueue = AuditQueue(store: registry.store)
        self.blobs = blobs
        self.trustedKeys = trustedKeys
        self.dataDirectory = configuration.data
        self.configuration = configuration
    }

    /// Opens (creating) the stores the configuration names: metadata in `store` when given, else
    /// SQLite at `DATA/registry.sqlite`; blobs under `DATA/blobs`. Writes the principals the
    /// configuration declares, and with `adminToken` seeds the first admin holding that token.
    public static func open(
        configuration: ServerConfiguration, adminToken: String?, store: (any RegistryStore)? = nil, clock: WardenClock = .system,
        logger: Logger = Logger(label: "warden.serve")
    ) async throws -> RegistryServer {
        try FileIO.makeDirectory(configuration.data)
        let keys = try configuration.trustedKeys.map { try PublicKey(file: $0) }
        let artefacts = try ArtefactStore.open(root: configuration.data + "/blobs", keyring: try configuration.encryption.keyring.map { try Keyring.open($0) })
        let metadata: any RegistryStore
        if let store {
            metadata = store
        } else if let url = configuration.database.url {
            metadata = try await PostgresRegistryStore.connect(url: url, maxConnections: configuration.database.maxConnections, logger: logger)
        } else {
            metadata = try SQLiteRegistryStore(path: configuration.data + "/registry.sqlite")
        }
        let cache = configuration.auth.tokenCacheSeconds > 0
            ? VerifiedTokenCache(lifetimeMillis: Int64(configuration.auth.tokenCacheSeconds) * 1000, capacity: configuration.auth.tokenCacheEntries)
            : nil
        let registry = Registry(store: metadata, gates: configuration.gates, clock: clock, tokenCache: cache)
        try await applyPrincipals(configuration.principals, registry: registry)
        if let adminToken {
            try await seedAdmin(token: adminToken, registry: registry)
        }
        var checkpoints: AuditCheckpoints?
        if let path = configuration.audit.signingKey, configuration.audit.checkpointEvery > 0 {
            checkpoints = AuditCheckpoints(key: try SigningKey(file: path), every: configuration.audit.checkpointEvery)
        }
        var jwt: JWTAuthenticator?
        if let settings = configuration.auth.jwt { jwt = try await JWTAuthenticator.load(settings) }
        removeStaleUploads(in: configuration.data + "/blobs/tmp", before: clock.now().addingTimeInterval(-staleUploadSeconds))
        removeStaleChecks(in: configuration.data + "/tmp", before: clock.now().addingTimeInterval(-staleCheckSeconds))
        return RegistryServer(
            registry: registry, blobs: artefacts.blobs, trustedKeys: keys, configuration: configuration,
            checkpoints: checkpoints, jwt: jwt, keyring: artefacts.keyring)
    }

    /// The embedded server on `data` with the default policy (tests, the demo).
    public static func open(data: String, trustedKeys: [PublicKey], adminToken: String?, clock: WardenClock = .system) async throws -> RegistryServer {
        let server = try await open(configuration: ServerConfiguration().with { $0.data = data }, adminToken: adminToken, clock: clock)
        return RegistryServer(
            registry: server.registry, blobs: server.blobs, trustedKeys: trustedKeys, configuration: server.configuration, checkpoints: server.checkpoints,
            jwt: server.jwt, keyring: server.keyring)
    }

    /// Stores the principals warden.yaml declares when they differ from the stored ones.
    static func applyPrincipals(_ principals: [Principal], registry: Registry) async throws {
        for principal in principals where try await registry.store.principal(id: principal.id) != principal {
            try await registry.store.savePrincipal(
                principal, audit: AuditDraft(time: registry.clock.timestamp(), actor: "system", action: "principal.configure", subject: "principal/\(principal.id)"))
        }
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
        if ServerTimingMiddleware.isEnabled { router.add(middleware: ServerTimingMiddleware()) }
        if let checkpoints { router.add(middleware: CheckpointMiddleware(checkpoints: checkpoints, registry: registry)) }
        router.add(middleware: ErrorMiddleware(privatePaths: privatePaths))
        router.add(middleware: AuthMiddleware(registry: registry, basicAuth: configuration.auth.basicAuth, jwt: jwt))
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
        api.get("/models/:name/versions") { _, context in
            let name = try context.parameters.require("name")
            _ = try await self.registry.model(name, by: try context.requirePrincipal())
            return JSONResponse.make(["versions": .array(try await self.registry.store.versions(of: name).map(Self.json))])
        }
        api.get("/models/:name/aliases") { _, context in
            let name = try context.parameters.require("name")
            _ = try await self.registry.model(name, by: try context.requirePrincipal())
            let current = try await self.registry.store.aliases(of: name)
            return JSONResponse.make([
                "aliases": .object(current.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }),
                "history": .array(try await self.registry.store.aliasHistory(of: name, alias: nil).map(Self.json)),
            ])
        }
        api.get("/models/:name/aliases/:alias") { _, context in
            let version = try await self.registry.resolve(
                try context.parameters.require("alias"), of: try context.parameters.require("name"), by: try context.requirePrincipal())
            return JSONResponse.make(Self.json(version))
        }
        api.delete("/models/:name/aliases/:alias") { _, context in
            try await self.registry.removeAlias(
                try context.parameters.require("alias"), of: try context.parameters.require("name"), by: try context.requirePrincipal())
            return JSONResponse.make([:])
        }
        api.get("/whoami") { _, context in
            let principal = try context.requirePrincipal()
            return JSONResponse.make(Self.json(principal))
        }
        api.post("/tokens") { request, context in try await self.createToken(request, context) }
        api.delete("/tokens/:id") { _, context in
            let token = try await self.registry.revokeToken(id: try context.parameters.require("id"), by: try context.requirePrincipal())
            return JSONResponse.make(["id": .string(token.id), "principal": .string(token.principalID), "revoked": true])
        }
        api.get("/audit") { request, context in try await self.audit(request, context) }
        MLflowAPI(server: self).add(to: router)
        InferenceAPI(server: self).add(to: router)
        return router
    }

    // MARK: handlers

    func body(_ request: Request, _ context: WardenRequestContext) async throws -> JSONValue {
        let limit = configuration.limits.maxJSONBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "REQUEST_TOO_LARGE", "JSON bodies are limited to \(limit) bytes")
        }
        do {
            return try JSONParser(maxDepth: 32, maxBytes: limit).parse(Array(buffer.readableBytesView), source: "the request body")
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

    func uploadBlob(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await requireUploader(principal, subject: "blobs")
        let stored = try await receiveBlob(request)
        try await registry.store.appendAudit(
            registry.draft(principal, "blob.upload", stored.digest.description, ["size": .int(stored.size), "new": .bool(stored.isNew)]))
        return JSONResponse.make(["digest": .string(stored.digest.description), "size": .int(stored.size)], status: .created)
    }

    func createVersion(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.parameters.require("name")
        let json = try await body(request, context)
        guard let list = json["artefacts"]?.arrayValue, !list.isEmpty else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'artefacts' must list at least one {path, digest}")
        }
        guard list.count <= configuration.limits.maxResults else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "a version may hold at most \(configuration.limits.maxResults) artefacts")
        }
        var artefacts: [ModelVersion.Artefact] = []
        for item in list {
            guard let path = item["path"]?.stringValue, Self.isSafeRelativePath(path), let text = item["digest"]?.stringValue else {
                throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "each artefact needs a safe relative 'path' and a 'digest'")
            }
            let digest = try Digest(parsing: text)
            guard self.artefacts.contains(digest) else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "upload \(digest) to /api/v1/blobs first") }
            artefacts.append(.init(path: path, digest: digest, size: try self.artefacts.size(of: digest)))
        }
        var lineage = ModelVersion.Lineage(parentVersion: json["parent"]?.intValue.map(Int.init))
        if let dataset = json["dataset"]?.stringValue { lineage.datasetDigest = try Digest(parsing: dataset) }
        var draft = try versionDraft(
            model: name, artefacts: artefacts, signature: try json["signature"]?.stringValue.map { try Digest(parsing: $0) },
            provenance: try json["provenance"]?.stringValue.map { try Digest(parsing: $0) }, lineage: lineage)
        draft.description = json["description"]?.stringValue ?? ""
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
        return try streamBlob(artefact.digest, size: artefact.size)
    }

    /// A response streaming a stored blob (decrypted when encrypted), with its digest in
    /// `X-Warden-Digest`; a blob the keyring cannot open is a 500 before anything is sent.
    func streamBlob(_ digest: Digest, size: Int64) throws -> Response {
        let write = try artefacts.streamer(digest)
        let body = ResponseBody(contentLength: Int(size)) { writer in try await write(&writer) }
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .init("X-Warden-Digest")!: digest.description], body: body)
    }

    func createToken(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let json = try await body(request, context)
        guard let name = json["name"]?.stringValue, let roleName = json["role"]?.stringValue else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'name' and 'role' are required")
        }
        guard let role = Role(rawValue: roleName) else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "unknown role '\(roleName.prefix(40))'; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let models = json["models"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var attributes: [String: String] = [:]
        for (key, value) in json["attributes"]?.objectValue ?? [] { attributes[key] = value.stringValue ?? value.canonicalString }
        let days = json["expires_in_days"]?.intValue
        if let days, !(1...3650).contains(days) { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "'expires_in_days' must be 1…3650") }
        let issued = try await registry.createToken(
            name: name, role: role, models: models, attributes: attributes, lifetimeMillis: days.map { $0 * 86_400_000 },
            by: try context.requirePrincipal())
        return JSONResponse.make(
            [
                "token": .string(issued.plaintext), "id": .string(issued.token.id), "principal": Self.json(issued.principal),
                "expires_at": issued.token.expiresAt.map { .int($0) } ?? .null,
            ], status: .created)
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
        guard registry.policy.decide(principal, .readAudit).allowed else {
            try await registry.store.appendAudit(registry.draft(principal, "auth.denied", "audit", ["action": "audit.read"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' may not read the audit chain")
        }
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
            "scan": version.scan.map {
                [
                    "highest_severity": $0.highestSeverity.map { .string($0) } ?? .null, "findings": .int(Int64($0.findings)),
                    "report_digest": $0.reportDigest.map { .string($0.description) } ?? .null,
                ]
            } ?? .null,
        ]
    }

    static func json(_ principal: Principal) -> JSONValue {
        [
            "id": .string(principal.id), "name": .string(principal.name), "roles": .array(principal.roles.sorted().map { .string($0.rawValue) }),
            "grants": .array(principal.grants.map { ["models": .string($0.models), "role": .string($0.role.rawValue)] }),
            "attributes": .object(principal.attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
        ]
    }

    static func json(_ move: AliasMove) -> JSONValue {
        [
            "model": .string(move.model), "alias": .string(move.alias), "from": move.from.map { .int(Int64($0)) } ?? .null,
            "to": move.to.map { .int(Int64($0)) } ?? .null, "actor": .string(move.actor), "time": .int(move.time),
        ]
    }
}
