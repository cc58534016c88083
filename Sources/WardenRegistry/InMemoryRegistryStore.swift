import WardenCore

/// A ``RegistryStore`` in memory: the reference behaviour the database stores must match, and the
/// store of unit tests.
public actor InMemoryRegistryStore: RegistryStore {
    private var modelsByName: [String: RegisteredModel] = [:]
    private var versionsByModel: [String: [ModelVersion]] = [:]
    private var aliasTable: [String: [String: Int]] = [:]
    private var moves: [AliasMove] = []
    private var approvalList: [Approval] = []
    private var principals: [String: Principal] = [:]
    private var tokens: [String: APIToken] = [:]
    private var chain: [AuditEvent] = []
    private var documentTable: [String: [String: JSONValue]] = [:]

    public init() {}

    public func model(named name: String) -> RegisteredModel? { modelsByName[name] }
    public func models() -> [RegisteredModel] { modelsByName.values.sorted { $0.name < $1.name } }

    public func createModel(_ model: RegisteredModel, audit: AuditDraft) throws {
        guard modelsByName[model.name] == nil else { throw WardenError.invalidInput("The model '\(model.name)' already exists") }
        modelsByName[model.name] = model
        append(audit)
    }

    public func updateModel(_ model: RegisteredModel, audit: AuditDraft) throws {
        guard modelsByName[model.name] != nil else { throw WardenError.notFound("No model '\(model.name)'") }
        modelsByName[model.name] = model
        append(audit)
    }

    public func versions(of model: String) -> [ModelVersion] { versionsByModel[model] ?? [] }
    public func version(_ model: String, _ version: Int) -> ModelVersion? {
        versionsByModel[model]?.first { $0.version == version }
    }

    public func addVersion(_ draft: ModelVersion, audit: AuditDraft) throws -> ModelVersion {
        guard modelsByName[draft.model] != nil else { throw WardenError.notFound("No model '\(draft.model)'") }
        var stored = draft
        stored.version = (versionsByModel[draft.model]?.last?.version ?? 0) + 1
        versionsByModel[draft.model, default: []].append(stored)
        var audit = audit
        audit.subject = "\(draft.model)/\(stored.version)"
        append(audit)
        return stored
    }

    public func addVersion(
        _ draft: ModelVersion, audit: AuditDraft, documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite]
    ) throws -> ModelVersion {
        let stored = try addVersion(draft, audit: audit)
        for write in documents(stored) { saveDocument(write.kind, write.id, write.value, onlyIfAbsent: false, audit: write.audit) }
        return stored
    }

    public func latestVersions(of model: String, limit: Int) -> [ModelVersion] {
        Array((versionsByModel[model] ?? []).suffix(max(0, limit)).reversed())
    }

    public func updateVersion(_ version: ModelVersion, audit: AuditDraft) throws {
        guard let index = versionsByModel[version.model]?.firstIndex(where: { $0.version == version.version }) else {
            throw WardenError.notFound("No version \(version.version) of '\(version.model)'")
        }
        versionsByModel[version.model]![index] = version
        append(audit)
    }

    public func aliases(of model: String) -> [String: Int] { aliasTable[model] ?? [:] }
    public func aliasHistory(of model: String, alias: String?) -> [AliasMove] {
        moves.filter { $0.model == model && (alias == nil || $0.alias == alias) }
    }

    public func moveAlias(_ move: AliasMove, audit: AuditDraft) throws {
        if let to = move.to {
            aliasTable[move.model, default: [:]][move.alias] = to
        } else {
            aliasTable[move.model]?[move.alias] = nil
        }
        moves.append(move)
        append(audit)
    }

    public func approvals(of model: String, version: Int) -> [Approval] {
        approvalList.filter { $0.model == model && $0.version == version }
    }

    public func addApproval(_ approval: Approval, audit: AuditDraft) {
        approvalList.append(approval)
        append(audit)
    }

    public func principal(id: String) -> Principal? { principals[id] }
    public func savePrincipal(_ principal: Principal, audit: AuditDraft) {
        principals[principal.id] = principal
        append(audit)
    }

    public func token(id: String) -> APIToken? { tokens[id] }
    public func saveToken(_ token: APIToken, audit: AuditDraft) {
        tokens[token.id] = token
        append(audit)
    }

    public func appendAudit(_ draft: AuditDraft) { append(draft) }

    public func auditEvents(from seq: Int64, limit: Int) -> [AuditEvent] {
        Array(chain.drop { $0.seq < seq }.prefix(limit))
    }

    public func auditHead() -> (seq: Int64, hash: String)? { chain.last.map { ($0.seq, $0.hash) } }

    public func document(_ kind: String, _ id: String) -> JSONValue? { documentTable[kind]?[id] }

    public func documents(_ kind: String, prefix: String, limit: Int) -> [(id: String, value: JSONValue)] {
        let table = documentTable[kind] ?? [:]
        return Array(table.keys.filter { $0.hasPrefix(prefix) }.sorted().prefix(limit).map { ($0, table[$0]!) })
    }

    @discardableResult
    public func saveDocument(_ kind: String, _ id: String, _ value: JSONValue, onlyIfAbsent: Bool, audit: AuditDraft) -> Bool {
        if onlyIfAbsent && documentTable[kind]?[id] != nil { return false }
        documentTable[kind, default: [:]][id] = value
        append(audit)
        return true
    }

    private func append(_ draft: AuditDraft) {
        chain.append(
            AuditEvent(
                after: chain.last, time: draft.time, actor: draft.actor, action: draft.action, subject: draft.subject,
                details: draft.details))
    }
}
