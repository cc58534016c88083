import Foundation
import Logging
import PostgresNIO
import WardenCore
import WardenRegistry

/// The scale-out registry store: metadata and the audit chain in PostgreSQL, so several
/// `warden serve` replicas share one database. Every write runs in one transaction that first
/// takes a cluster-wide advisory lock, so the audit chain stays one linear chain (each event's
/// `prev` is the previous head) whichever replica writes, and version numbers never collide.
public final class PostgresRegistryStore: RegistryStore {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    /// The advisory lock every write holds for its transaction; migrations use another.
    static let writeLock: Int64 = 0x5741_5244_454E_0001
    static let migrationLock: Int64 = 0x5741_5244_454E_0002

    /// Connects to `url` (`postgres://user:password@host:port/database[?sslmode=disable|prefer|require]`)
    /// and migrates the schema. The URL's password never appears in errors or logs.
    public static func connect(url: String, maxConnections: Int = 8, logger: Logger) async throws -> PostgresRegistryStore {
        let store = PostgresRegistryStore(configuration: try configuration(url: url, maxConnections: maxConnections), logger: logger)
        do {
            try await store.migrate()
        } catch {
            store.shutdown()
            throw WardenError.io("Cannot open the PostgreSQL registry at \(redacted(url)): \(describe(error))")
        }
        return store
    }

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // The pool runs until shutdown(); it is this store's own long-lived task.
        runner = Task { await client.run() }
    }

    /// Stops the connection pool.
    public func shutdown() { runner.cancel() }

    deinit { runner.cancel() }

    static func configuration(url: String, maxConnections: Int) throws -> PostgresClient.Configuration {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""), let host = parts.host, !host.isEmpty else {
            throw WardenError.invalidInput("The database URL \(redacted(url)) is not postgres://user:password@host:port/database")
        }
        let database = String(parts.path.drop { $0 == "/" })
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw WardenError.invalidInput("sslmode '\(mode.prefix(20))' is not disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user?.removingPercentEncoding ?? "postgres",
            password: parts.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        return configuration
    }

    /// The URL without its password, for messages.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "'(unparseable URL)'" }
        if parts.password != nil { parts.password = "***" }
        return "'\(parts.string ?? "?")'"
    }

    /// A PostgreSQL error without the query text or connection details (PSQLError's description
    /// is already generic; its server message names the failing constraint, which is safe).
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            return psql.serverInfo?[.message].map { "server said: \($0)" } ?? "\(psql.code)"
        }
        return String(describing: error).prefix(200).description
    }

    static let schema: [String] = [
        "CREATE TABLE IF NOT EXISTS models (name TEXT COLLATE \"C\" PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS versions (model TEXT COLLATE \"C\" NOT NULL, version BIGINT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (model, version))",
        "CREATE TABLE IF NOT EXISTS aliases (model TEXT COLLATE \"C\" NOT NULL, alias TEXT COLLATE \"C\" NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (model, alias))",
        "CREATE TABLE IF NOT EXISTS alias_moves (id BIGSERIAL PRIMARY KEY, model TEXT NOT NULL, alias TEXT NOT NULL, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS approvals (id BIGSERIAL PRIMARY KEY, model TEXT NOT NULL, version BIGINT NOT NULL, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS principals (id TEXT COLLATE \"C\" PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS tokens (id TEXT COLLATE \"C\" PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS documents (kind TEXT COLLATE \"C\" NOT NULL, id TEXT COLLATE \"C\" NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id))",
        """
        CREATE TABLE IF NOT EXISTS audit (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
            subject TEXT NOT NULL, details TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS alias_moves_model ON alias_moves (model, id)",
        "CREATE INDEX IF NOT EXISTS approvals_model ON approvals (model, version)",
    ]

    /// Creates the tables once, under a lock, so replicas starting together do not race.
    func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            for statement in Self.schema {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    // MARK: plumbing

    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as WardenError {
            throw error
        } catch {
            throw WardenError.io("The PostgreSQL registry failed: \(Self.describe(error))", cause: error)
        }
    }

    /// Runs `body` in a transaction holding the write lock; `body` appends its audit event.
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let closure = error.closureError as? WardenError { throw closure }
            throw WardenError.io("The PostgreSQL registry failed: \(Self.describe(error.closureError ?? error))", cause: error)
        } catch let error as WardenError {
            throw error
        } catch {
            throw WardenError.io("The PostgreSQL registry failed: \(Self.describe(error))", cause: error)
        }
    }

    func strings(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [String] {
        var out: [String] = []
        for try await text in try await connection.query(query, logger: logger).decode(String.self) { out.append(text) }
        return out
    }

    func appendAudit(_ draft: AuditDraft, _ connection: PostgresConnection) async throws {
        var head: (Int64, String)?
        for try await row in try await connection.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger: logger).decode((Int64, String).self) {
            head = row
        }
        let event = AuditEvent(
            seq: (head?.0 ?? 0) + 1, prev: head?.1 ?? AuditEvent.genesis, time: draft.time, actor: draft.actor, action: draft.action,
            subject: draft.subject, details: draft.details)
        let details = event.details.canonicalString
        try await connection.query(
            """
            INSERT INTO audit (seq, time, actor, action, subject, details, prev, hash)
            VALUES (\(event.seq), \(event.time), \(event.actor), \(event.action), \(event.subject), \(details), \(event.prev), \(event.hash))
            """, logger: logger)
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    // MARK: models

    public func model(named name: String) async throws -> RegisteredModel? {
        try await read { c in try await strings("SELECT json FROM models WHERE name = \(name)", c).first.map { try Self.decode(RegisteredModel.self, $0) } }
    }

    public func models() async throws -> [RegisteredModel] {
        try await read { c in try await strings("SELECT json FROM models ORDER BY name", c).map { try Self.decode(RegisteredModel.self, $0) } }
    }

    public func createModel(_ model: RegisteredModel, audit: AuditDraft) async throws {
        let json = try Self.encode(model)
        try await write { c in
            guard try await strings("SELECT name FROM models WHERE name = \(model.name)", c).isEmpty else {
                throw WardenError.invalidInput("The model '\(model.name)' already exists")
            }
            try await c.query("INSERT INTO models (name, json) VALUES (\(model.name), \(json))", logger: logger)
            try await appendAudit(audit, c)
        }
    }

    public func updateModel(_ model: RegisteredModel, audit: AuditDraft) async throws {
        let json = try Self.encode(model)
        try await write { c in
            guard try await !strings("UPDATE models SET json = \(json) WHERE name = \(model.name) RETURNING name", c).isEmpty else {
                throw WardenError.notFound("No model '\(model.name)'")
            }
            try await appendAudit(audit, c)
        }
    }

    // MARK: versions

    public func versions(of model: String) async throws -> [ModelVersion] {
        try await read { c in
            try await strings("SELECT json FROM versions WHERE model = \(model) ORDER BY version", c).map { try Self.decode(ModelVersion.self, $0) }
        }
    }

    public func version(_ model: String, _ version: Int) async throws -> ModelVersion? {
        try await read { c in
            try await strings("SELECT json FROM versions WHERE model = \(model) AND version = \(Int64(version))", c).first
                .map { try Self.decode(ModelVersion.self, $0) }
        }
    }

    public func addVersion(_ draft: ModelVersion, audit: AuditDraft) async throws -> ModelVersion {
        try await addVersion(draft, audit: audit) { _ in [] }
    }

    public func latestVersions(of model: String, limit: Int) async throws -> [ModelVersion] {
        try await read { c in
            try await strings("SELECT json FROM versions WHERE model = \(model) ORDER BY version DESC LIMIT \(Int64(max(0, limit)))", c)
                .map { try Self.decode(ModelVersion.self, $0) }
        }
    }

    public func addVersion(
        _ draft: ModelVersion, audit: AuditDraft, documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite]
    ) async throws -> ModelVersion {
        try await write { c in
            guard try await !strings("SELECT name FROM models WHERE name = \(draft.model)", c).isEmpty else {
                throw WardenError.notFound("No model '\(draft.model)'")
            }
            var highest: Int64 = 0
            for try await value in try await c.query("SELECT COALESCE(MAX(version), 0) FROM versions WHERE model = \(draft.model)", logger: logger)
                .decode(Int64.self)
            {
                highest = value
            }
            var stored = draft
            stored.version = Int(highest) + 1
            let json = try Self.encode(stored)
            try await c.query("INSERT INTO versions (model, version, json) VALUES (\(stored.model), \(Int64(stored.version)), \(json))", logger: logger)
            var audit = audit
            audit.subject = "\(stored.model)/\(stored.version)"
            try await appendAudit(audit, c)
            for document in documents(stored) {
                try await replaceDocument(document.kind, document.id, json: document.value.compactString, c)
                try await appendAudit(document.audit, c)
            }
            return stored
        }
    }

    public func updateVersion(_ version: ModelVersion, audit: AuditDraft) async throws {
        let json = try Self.encode(version)
        try await write { c in
            let updated = try await strings(
                "UPDATE versions SET json = \(json) WHERE model = \(version.model) AND version = \(Int64(version.version)) RETURNING model", c)
            guard !updated.isEmpty else { throw WardenError.notFound("No version \(version.version) of '\(version.model)'") }
            try await appendAudit(audit, c)
        }
    }

    // MARK: aliases and approvals

    public func aliases(of model: String) async throws -> [String: Int] {
        try await read { c in
            var out: [String: Int] = [:]
            for try await (alias, version) in try await c.query("SELECT alias, version FROM aliases WHERE model = \(model)", logger: logger)
                .decode((String, Int64).self)
            {
                out[alias] = Int(version)
            }
            return out
        }
    }

    public func aliasHistory(of model: String, alias: String?) async throws -> [AliasMove] {
        try await read { c in
            let rows = if let alias {
                try await strings("SELECT json FROM alias_moves WHERE model = \(model) AND alias = \(alias) ORDER BY id", c)
            } else {
                try await strings("SELECT json FROM alias_moves WHERE model = \(model) ORDER BY id", c)
            }
            return try rows.map { try Self.decode(AliasMove.self, $0) }
        }
    }

    public func moveAlias(_ move: AliasMove, audit: AuditDraft) async throws {
        let json = try Self.encode(move)
        try await write { c in
            if let to = move.to {
                try await c.query(
                    """
                    INSERT INTO aliases (model, alias, version) VALUES (\(move.model), \(move.alias), \(Int64(to)))
                    ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version
                    """, logger: logger)
            } else {
                try await c.query("DELETE FROM aliases WHERE model = \(move.model) AND alias = \(move.alias)", logger: logger)
            }
            try await c.query("INSERT INTO alias_moves (model, alias, json) VALUES (\(move.model), \(move.alias), \(json))", logger: logger)
            try await appendAudit(audit, c)
        }
    }

    public func approvals(of model: String, version: Int) async throws -> [Approval] {
        try await read { c in
            try await strings("SELECT json FROM approvals WHERE model = \(model) AND version = \(Int64(version)) ORDER BY id", c)
                .map { try Self.decode(Approval.self, $0) }
        }
    }

    public func addApproval(_ approval: Approval, audit: AuditDraft) async throws {
        let json = try Self.encode(approval)
        try await write { c in
            try await c.query(
                "INSERT INTO approvals (model, version, json) VALUES (\(approval.model), \(Int64(approval.version)), \(json))", logger: logger)
            try await appendAudit(audit, c)
        }
    }

    // MARK: principals and tokens

    public func principal(id: String) async throws -> Principal? {
        try await read { c in try await strings("SELECT json FROM principals WHERE id = \(id)", c).first.map { try Self.decode(Principal.self, $0) } }
    }

    public func savePrincipal(_ principal: Principal, audit: AuditDraft) async throws {
        let json = try Self.encode(principal)
        try await write { c in
            try await c.query(
                "INSERT INTO principals (id, json) VALUES (\(principal.id), \(json)) ON CONFLICT (id) DO UPDATE SET json = excluded.json", logger: logger)
            try await appendAudit(audit, c)
        }
    }

    public func token(id: String) async throws -> APIToken? {
        try await read { c in try await strings("SELECT json FROM tokens WHERE id = \(id)", c).first.map { try Self.decode(APIToken.self, $0) } }
    }

    public func saveToken(_ token: APIToken, audit: AuditDraft) async throws {
        let json = try Self.encode(token)
        try await write { c in
            try await c.query("INSERT INTO tokens (id, json) VALUES (\(token.id), \(json)) ON CONFLICT (id) DO UPDATE SET json = excluded.json", logger: logger)
            try await appendAudit(audit, c)
        }
    }

    // MARK: audit

    public func appendAudit(_ draft: AuditDraft) async throws {
        try await write { c in try await appendAudit(draft, c) }
    }

    public func auditEvents(from seq: Int64, limit: Int) async throws -> [AuditEvent] {
        try await read { c in
            var events: [AuditEvent] = []
            let rows = try await c.query(
                "SELECT seq, time, actor, action, subject, details, prev, hash FROM audit WHERE seq >= \(seq) ORDER BY seq LIMIT \(Int64(limit))",
                logger: logger)
            for try await (seq, time, actor, action, subject, details, prev, hash) in rows.decode((Int64, String, String, String, String, String, String, String).self) {
                var event = AuditEvent(
                    seq: seq, prev: prev, time: time, actor: actor, action: action, subject: subject,
                    details: try JSONParser().parse(details, source: "audit details"))
                event.hash = hash  // as stored: verification recomputes it
                events.append(event)
            }
            return events
        }
    }

    public func auditHead() async throws -> (seq: Int64, hash: String)? {
        try await read { c in
            var head: (seq: Int64, hash: String)?
            for try await row in try await c.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", logger: logger).decode((Int64, String).self) {
                head = row
            }
            return head
        }
    }

    // MARK: documents

    public func document(_ kind: String, _ id: String) async throws -> JSONValue? {
        let text = try await read { c in try await strings("SELECT json FROM documents WHERE kind = \(kind) AND id = \(id)", c).first }
        return try text.map { try JSONParser().parse($0, source: "document \(kind)") }
    }

    public func documents(_ kind: String, prefix: String, limit: Int) async throws -> [(id: String, value: JSONValue)] {
        let rows = try await read { c in
            var out: [(String, String)] = []
            let query: PostgresQuery =
                "SELECT id, json FROM documents WHERE kind = \(kind) AND starts_with(id, \(prefix)) ORDER BY id LIMIT \(Int64(limit))"
            for try await row in try await c.query(query, logger: logger).decode((String, String).self) { out.append(row) }
            return out
        }
        return try rows.map { (id: $0.0, value: try JSONParser().parse($0.1, source: "document \(kind)")) }
    }

    func replaceDocument(_ kind: String, _ id: String, json: String, _ c: PostgresConnection) async throws {
        try await c.query(
            "INSERT INTO documents (kind, id, json) VALUES (\(kind), \(id), \(json)) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json",
            logger: logger)
    }

    public func saveDocument(_ kind: String, _ id: String, _ value: JSONValue, onlyIfAbsent: Bool, audit: AuditDraft) async throws -> Bool {
        let json = value.compactString
        return try await write { c in
            if onlyIfAbsent {
                let inserted = try await strings(
                    "INSERT INTO documents (kind, id, json) VALUES (\(kind), \(id), \(json)) ON CONFLICT (kind, id) DO NOTHING RETURNING id", c)
                guard !inserted.isEmpty else { return false }
            } else {
                try await replaceDocument(kind, id, json: json, c)
            }
            try await appendAudit(audit, c)
            return true
        }
    }
}

extension PostgresRegistryStore {
    /// Creates the database `name` on the server of `url` and returns its URL (tests: one
    /// database per test).
    package static func createDatabase(from url: String, named name: String, logger: Logger) async throws -> String {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw WardenError.invalidInput("'\(name)' is not a plain database name")
        }
        let store = PostgresRegistryStore(configuration: try configuration(url: url, maxConnections: 1), logger: logger)
        defer { store.shutdown() }
        try await store.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        guard var parts = URLComponents(string: url) else { throw WardenError.invalidInput("Unparseable database URL") }
        parts.path = "/" + name
        return parts.string ?? url
    }
}
