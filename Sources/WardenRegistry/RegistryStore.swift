import WardenCore

/// Where the registry keeps its metadata and audit chain. SQLite (embedded) and PostgreSQL
/// (replicas) implement it; ``InMemoryRegistryStore`` serves tests. Every mutating call appends its
/// audit event in the same transaction, so metadata and the chain never disagree.
public protocol RegistryStore: Sendable {
    func model(named name: String) async throws -> RegisteredModel?
    func models() async throws -> [RegisteredModel]
    /// Fails with `WardenError` (`invalidInput`) if the name exists.
    func createModel(_ model: RegisteredModel, audit: AuditDraft) async throws
    func updateModel(_ model: RegisteredModel, audit: AuditDraft) async throws

    func versions(of model: String) async throws -> [ModelVersion]
    func version(_ model: String, _ version: Int) async throws -> ModelVersion?
    /// Assigns the next version number atomically and returns the stored version.
    func addVersion(_ draft: ModelVersion, audit: AuditDraft) async throws -> ModelVersion
    /// ``addVersion(_:audit:)`` and the documents `documents` makes from the stored version (each
    /// with its own audit event, after the version's) in one transaction: a crash leaves all or none.
    func addVersion(
        _ draft: ModelVersion, audit: AuditDraft, documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite]
    ) async throws -> ModelVersion
    /// The `limit` highest-numbered versions of `model`, newest first (without reading the others).
    func latestVersions(of model: String, limit: Int) async throws -> [ModelVersion]
    func updateVersion(_ version: ModelVersion, audit: AuditDraft) async throws

    func aliases(of model: String) async throws -> [String: Int]
    func aliasHistory(of model: String, alias: String?) async throws -> [AliasMove]
    func moveAlias(_ move: AliasMove, audit: AuditDraft) async throws

    func approvals(of model: String, version: Int) async throws -> [Approval]
    func addApproval(_ approval: Approval, audit: AuditDraft) async throws

    func principal(id: String) async throws -> Principal?
    func savePrincipal(_ principal: Principal, audit: AuditDraft) async throws
    func token(id: String) async throws -> APIToken?
    func saveToken(_ token: APIToken, audit: AuditDraft) async throws

    /// Appends an event that changes nothing else (downloads, denied requests).
    func appendAudit(_ draft: AuditDraft) async throws
    /// Appends events in order; a store that can does it in one transaction (one synced commit).
    func appendAudits(_ drafts: [AuditDraft]) async throws
    func auditEvents(from seq: Int64, limit: Int) async throws -> [AuditEvent]
    /// The last event's `seq` and `hash`; nil for an empty chain.
    func auditHead() async throws -> (seq: Int64, hash: String)?

    /// Documents: JSON records of the MLflow-compatible side (experiments, runs, logged models,
    /// artefact paths), keyed by kind and id, with the same audited-write rule.
    func document(_ kind: String, _ id: String) async throws -> JSONValue?
    /// Every document of `kind` whose id starts with `prefix`, in id order, at most `limit`.
    func documents(_ kind: String, prefix: String, limit: Int) async throws -> [(id: String, value: JSONValue)]
    /// Writes a document; with `onlyIfAbsent` an existing id is left alone and the call returns
    /// false (creation races between replicas resolve here).
    @discardableResult
    func saveDocument(_ kind: String, _ id: String, _ value: JSONValue, onlyIfAbsent: Bool, audit: AuditDraft) async throws -> Bool
}

extension RegistryStore {
    /// One ``appendAudit(_:)`` per event (stores without a batched append).
    public func appendAudits(_ drafts: [AuditDraft]) async throws {
        for draft in drafts { try await appendAudit(draft) }
    }
}

/// A document to write (replacing any with its id) with the audit event that records it.
public struct DocumentWrite: Sendable {
    public var kind: String
    public var id: String
    public var value: JSONValue
    public var audit: AuditDraft

    public init(kind: String, id: String, value: JSONValue, audit: AuditDraft) {
        self.kind = kind
        self.id = id
        self.value = value
        self.audit = audit
    }
}

/// An audit event before the store gives it its place in the chain.
public struct AuditDraft: Sendable, Equatable {
    public var time: String
    public var actor: String
    public var action: String
    public var subject: String
    public var details: JSONValue

    public init(time: String, actor: String, action: String, subject: String, details: JSONValue = .object([])) {
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.details = details
    }
}
