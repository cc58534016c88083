import WardenCore

/// The registry's operations with their rules: every call is authorised (deny by default), audited
/// (denials too), and alias moves pass the gates of the target alias.
public struct Registry: Sendable {
    public var store: any RegistryStore
    public var policy: AccessPolicy
    public var gates: GatePolicy
    public var clock: WardenClock
    /// Recently verified tokens (nil: every request reads the token from the store).
    public var tokenCache: VerifiedTokenCache?

    public init(
        store: any RegistryStore, policy: AccessPolicy = AccessPolicy(), gates: GatePolicy = GatePolicy(), clock: WardenClock = .system,
        tokenCache: VerifiedTokenCache? = nil
    ) {
        self.store = store
        self.policy = policy
        self.gates = gates
        self.clock = clock
        self.tokenCache = tokenCache
    }

    /// Why a request was refused: not allowed (403), or a gate not passed (409/412).
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case forbidden(String)
        case gatesFailed(alias: String, failures: [GatePolicy.Failure])

        public var description: String {
            switch self {
            case .forbidden(let reason): "Forbidden: \(reason)"
            case .gatesFailed(let alias, let failures):
                "Cannot move '\(alias)': " + failures.map(\.description).joined(separator: "; ")
            }
        }
    }

    package var nowMillis: Int64 { Int64(clock.now().timeIntervalSince1970 * 1000) }

    package func draft(_ principal: Principal, _ action: String, _ subject: String, _ details: JSONValue = .object([])) -> AuditDraft {
        AuditDraft(time: clock.timestamp(), actor: principal.name, action: action, subject: subject, details: details)
    }

    /// Checks `action`; a denial is audited and thrown.
    package func authorize(_ principal: Principal, _ action: RegistryAction, model: RegisteredModel?, subject: String) async throws {
        let decision = policy.decide(principal, action, model: model)
        guard decision.allowed else {
            try await store.appendAudit(draft(principal, "auth.denied", subject, ["action": .string(action.rawValue), "reason": .string(decision.reason)]))
            throw Refusal.forbidden(decision.reason)
        }
    }

    func existingModel(_ name: String) async throws -> RegisteredModel {
        guard let model = try await store.model(named: name) else { throw WardenError.notFound("No model named '\(name)'") }
        return model
    }

    public func createModel(
        _ name: String, description: String = "", attributes: [String: String] = [:], by principal: Principal
    ) async throws -> RegisteredModel {
        try await authorize(principal, .createModel, model: nil, subject: name)
        guard RegisteredModel.isValidName(name) else {
            throw WardenError.invalidInput("'\(name.prefix(80))' is not a valid model name (1–200 of letters, digits, . _ - /)")
        }
        let model = RegisteredModel(name: name, description: description, attributes: attributes, createdAt: nowMillis)
        try await store.createModel(model, audit: draft(principal, "model.create", name))
        return model
    }

    public func model(_ name: String, by principal: Principal) async throws -> RegisteredModel {
        let model = try await existingModel(name)
        try await authorize(principal, .readModel, model: model, subject: name)
        return model
    }

    /// Records a new version (artefacts already stored by digest, checks already run); `documents`
    /// made from the stored version commit with it in one transaction.
    public func addVersion(
        _ draftVersion: ModelVersion, by principal: Principal, documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite] = { _ in [] }
    ) async throws -> ModelVersion {
        try await addVersion(draftVersion, to: try await existingModel(draftVersion.model), by: principal, documents: documents)
    }

    /// ``addVersion(_:by:documents:)`` for a caller that has just read `model` (the MLflow create
    /// reads it to check the upload right before it looks at the source): the same check, without
    /// reading and decoding the model a second time. The store's transaction still refuses a
    /// version of a model that no longer exists.
    public func addVersion(
        _ draftVersion: ModelVersion, to model: RegisteredModel, by principal: Principal,
        documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite] = { _ in [] }
    ) async throws -> ModelVersion {
        guard model.name == draftVersion.model else {
            throw WardenError.invalidInput("A version of '\(draftVersion.model.prefix(80))' cannot be added to '\(model.name.prefix(80))'")
        }
        try await authorize(principal, .uploadVersion, model: model, subject: model.name)
        var version = draftVersion
        version.uploader = principal.name
        version.createdAt = nowMillis
        let details: JSONValue = [
            "artefacts": .array(version.artefacts.map { .string("\($0.path)@\($0.digest)") }),
            "signature": .bool(version.signature?.passed ?? false), "scan": version.scan?.highestSeverity.map { .string($0) } ?? .null,
        ]
        return try await store.addVersion(version, audit: draft(principal, "version.create", model.name, details), documents: documents)
    }

    public func approve(_ model: String, version: Int, comment: String = "", by principal: Principal) async throws -> Approval {
        let registered = try await existingModel(model)
        try await authorize(principal, .approve, model: registered, subject: "\(model)/\(version)")
        guard let stored = try await store.version(model, version) else { throw WardenError.notFound("No version \(version) of '\(model)'") }
        guard stored.uploader != principal.name else {
            try await store.appendAudit(draft(principal, "auth.denied", "\(model)/\(version)", ["reason": "self-approval"]))
            throw Refusal.forbidden("'\(principal.name)' uploaded \(model)/\(version) and cannot approve it")
        }
        let approval = Approval(model: model, version: version, reviewer: principal.name, time: nowMillis, comment: comment)
        try await store.addApproval(approval, audit: draft(principal, "version.approve", "\(model)/\(version)"))
        return approval
    }

    /// Points `alias` at `version` if the alias's gates pass; every failed gate is named.
    public func moveAlias(_ alias: String, of model: String, to version: Int, reason: String = "", by principal: Principal) async throws -> AliasMove {
        let registered = try await existingModel(model)
        try await authorize(principal, .moveAlias, model: registered, subject: "\(model)@\(alias)")
        guard let target = try await store.version(model, version) else { throw WardenError.notFound("No version \(version) of '\(model)'") }
        let failures = gates.check(target, approvals: try await store.approvals(of: model, version: version), alias: alias)
        guard failures.isEmpty else {
            try await store.appendAudit(
                draft(principal, "alias.refused", "\(model)@\(alias)", ["version": .int(Int64(version)), "failures": .array(failures.map { .string($0.description) })]))
            throw Refusal.gatesFailed(alias: alias, failures: failures)
        }
        let current = try await store.aliases(of: model)[alias]
        let move = AliasMove(model: model, alias: alias, from: current, to: version, actor: principal.name, time: nowMillis, reason: reason)
        try await store.moveAlias(move, audit: draft(principal, "alias.move", "\(model)@\(alias)", ["from": current.map { .int(Int64($0)) } ?? .null, "to": .int(Int64(version))]))
        return move
    }

    /// Moves `alias` back to the version it pointed to before its last move (gates apply again).
    public func rollback(_ alias: String, of model: String, by principal: Principal) async throws -> AliasMove {
        let history = try await store.aliasHistory(of: model, alias: alias)
        guard let last = history.last, let previous = last.from else {
            throw WardenError.invalidInput("'\(model)@\(alias)' has no earlier version to roll back to")
        }
        return try await moveAlias(alias, of: model, to: previous, reason: "rollback from \(last.to.map(String.init) ?? "none")", by: principal)
    }

    /// Resolves `alias` for a reader (downloads and serving).
    public func resolve(_ alias: String, of model: String, by principal: Principal, action: RegistryAction = .readModel) async throws -> ModelVersion {
        let registered = try await existingModel(model)
        try await authorize(principal, action, model: registered, subject: "\(model)@\(alias)")
        guard let number = try await store.aliases(of: model)[alias], let version = try await store.version(model, number) else {
            throw WardenError.notFound("'\(model)' has no alias '\(alias)'")
        }
        return version
    }

    /// Finds the principal a presented token belongs to; nil for unknown, wrong, expired or revoked.
    ///
    /// The cache is asked first: it holds only texts that parsed and verified (keyed by the exact
    /// text), so a hit skips the parse (base64 through Foundation, the costliest step of a cached
    /// request); a miss parses and verifies against the store as before.
    public func authenticate(token text: String) async throws -> Principal? {
        guard text.hasPrefix(APIToken.prefix), text.utf8.count < 200 else { return nil }
        let now = nowMillis
        if let cached = tokenCache?.principal(for: text, now: now) { return cached }
        guard let (id, secret) = APIToken.parse(text) else { return nil }
        guard let token = try await store.token(id: id), token.accepts(secret: secret, now: now),
            let principal = try await store.principal(id: token.principalID)
        else { return nil }
        tokenCache?.remember(credential: text, tokenID: id, principal: principal, now: now, tokenExpiresAt: token.expiresAt)
        return principal
    }
}
