import Foundation
import GRDB
import Synchronization
import WardenCore
import WardenRegistry

/// The embedded registry store: one SQLite database (WAL) through GRDB. Each mutation and its
/// audit event commit in one transaction, so an acknowledged write and its evidence are durable
/// together and a crash leaves neither half-applied.
public final class SQLiteRegistryStore: RegistryStore {
    let database: DatabasePool
    /// Writes started and not finished (``write(_:)`` runs one in place when it is alone).
    private let writesInFlight = Atomic<Int>(0)
    /// Decoded models and versions by their stored JSON text (decoding is a pure function of the
    /// text; Foundation's JSONDecoder was the costliest step of a read).
    private let decodedModels = DecodeMemo<RegisteredModel>(capacity: 256)
    private let decodedVersions = DecodeMemo<ModelVersion>(capacity: 1024)

    /// Opens (creating and migrating when needed) the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets WAL with synchronous=NORMAL, where a commit survives a killed process but not
            // a power cut or kernel crash: the WAL is synced only at checkpoints. An acknowledged
            // version must survive both (its blobs are fsync'd before the commit), so every commit
            // syncs the WAL (one fdatasync; a create is one transaction).
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(database)
            try Self.preallocateLog(of: database, path: path)
        } catch {
            throw WardenError.io("Cannot open the registry database '\(path)': \(error)")
        }
    }

    /// How far the write-ahead log is laid out in advance (zeros written, not a hole): SQLite's
    /// default checkpoint keeps it under ~4 MiB, so it never grows at a commit.
    static let logPreallocation: Int64 = 8 << 20

    /// Extends the write-ahead log `PATH-wal` with zeros to ``logPreallocation`` bytes.
    ///
    /// Why: with `synchronous=FULL` every commit fsyncs the log. When a commit appends past the
    /// file's end, that fsync must also commit the file system's journal (the size and the new
    /// blocks) — on ext4 under write load 4–12 ms at p50 and up to 100 ms, against 0.1 ms for an
    /// fsync of blocks that already exist (measured in docs/BENCHMARKS.md). Writing the zeros once
    /// at open makes every later commit an overwrite; the guarantee is unchanged (each commit is
    /// still synced before it is acknowledged).
    ///
    /// Safe for SQLite: readers and recovery stop at the first frame whose salt and checksum do not
    /// continue the chain, so zeros past the last frame are never read as data, and SQLite itself
    /// leaves old bytes past the end after each log restart. Done inside `BEGIN IMMEDIATE`, so no
    /// other connection (or process) appends to the log meanwhile; bytes already in the file are
    /// never touched, only its end is extended.
    static func preallocateLog(of database: DatabasePool, path: String) throws {
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let fd = open(path + "-wal", O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { return .commit }  // no log file: nothing to extend
                defer { close(fd) }
                var info = stat()
                guard fstat(fd, &info) == 0, Int64(info.st_size) < logPreallocation else { return .commit }
                let zeros = [UInt8](repeating: 0, count: 1 << 20)
                var offset = Int64(info.st_size)
                while offset < logPreallocation {
                    let count = Int(min(Int64(zeros.count), logPreallocation - offset))
                    let written = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress!, count, off_t(offset)) }
                    guard written > 0 else {
                        if errno == EINTR { continue }
                        return .commit  // a full disk only loses the speed-up
                    }
                    offset += Int64(written)
                }
                _ = fsync(fd)
                return .commit
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE models (name TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE versions (model TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (model, version));
                CREATE TABLE aliases (model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (model, alias));
                CREATE TABLE alias_moves (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, alias TEXT NOT NULL, json TEXT NOT NULL);
                CREATE TABLE approvals (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE TABLE principals (id TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE tokens (id TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    subject TEXT NOT NULL, details TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v2-documents") { db in
            try db.execute(sql: "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id))")
        }
        return migrator
    }

    // MARK: JSON columns

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// Appends the audit event in the caller's transaction and returns the chain's new head.
    /// `head` is the head this transaction itself just wrote (so a transaction appending several
    /// events reads the head once); nil reads it from the table.
    @discardableResult
    static func appendAudit(_ draft: AuditDraft, _ db: Database, after head: (seq: Int64, hash: String)? = nil) throws -> (seq: Int64, hash: String) {
        let last: (seq: Int64, hash: String)?
        if let head {
            last = head
        } else {
            last = try Row.fetchOne(try db.cachedStatement(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")).map { ($0["seq"], $0["hash"]) }
        }
        let event = AuditEvent(
            seq: (last?.seq ?? 0) + 1, prev: last?.hash ?? AuditEvent.genesis, time: draft.time, actor: draft.actor,
            action: draft.action, subject: draft.subject, details: draft.details)
        try db.cachedStatement(sql: "INSERT INTO audit (seq, time, actor, action, subject, details, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [event.seq, event.time, event.actor, event.action, event.subject, event.details.canonicalString, event.prev, event.hash])
        return (event.seq, event.hash)
    }

    /// Writes a document (replacing one with its id) and its audit event in the caller's transaction.
    @discardableResult
    static func saveDocument(
        _ kind: String, _ id: String, json: String, audit: AuditDraft, _ db: Database, after head: (seq: Int64, hash: String)? = nil
    ) throws -> (seq: Int64, hash: String) {
        try db.cachedStatement(
            sql: "INSERT INTO documents (kind, id, json) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json"
        ).execute(arguments: [kind, id, json])
        return try appendAudit(audit, db, after: head)
    }

    /// Runs one read statement on the calling thread.
    ///
    /// GRDB's async `read` hops three times per call (its reader pool's actor, the reader's queue,
    /// back to the caller's executor) and wraps the statement in `BEGIN`/`COMMIT`; a registry
    /// request made four or five reads, so the hops (thread wake-ups) cost more than the reads.
    /// Here the reader is taken and used in place (a pooled reader connection, never the writer,
    /// so a commit in progress does not block it), without a transaction: every caller runs a
    /// single statement, which SQLite already reads from one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try readInPlace(body)
    }

    private func readInPlace<T>(_ body: (Database) throws -> T) throws -> T {
        try database.unsafeRead(body)
    }

    /// Writes in one transaction, committed and synced before this returns (as before).
    ///
    /// When no other write is in flight the transaction runs on the calling thread (GRDB's
    /// writer queue is free, so its `sync` runs in place): no hop to the writer's thread and back.
    /// Otherwise it waits for the writer queue asynchronously, so concurrent writers never block
    /// the caller's threads while they queue.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let before = writesInFlight.add(1, ordering: .acquiringAndReleasing).oldValue
        defer { writesInFlight.subtract(1, ordering: .acquiringAndReleasing) }
        if before == 0 { return try writeInPlace(body) }
        return try await database.write(body)
    }

    private func writeInPlace<T>(_ body: (Database) throws -> T) throws -> T {
        try database.write(body)
    }

    // MARK: models

    public func model(named name: String) async throws -> RegisteredModel? {
        try await read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT json FROM models WHERE name = ?"), arguments: [name]).map { try self.decodedModels.value(for: $0) }
        }
    }

    public func models() async throws -> [RegisteredModel] {
        try await read { db in
            try String.fetchAll(try db.cachedStatement(sql: "SELECT json FROM models ORDER BY name")).map { try self.decodedModels.value(for: $0) }
        }
    }

    public func createModel(_ model: RegisteredModel, audit: AuditDraft) async throws {
        let json = try Self.encode(model)
        try await write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM models WHERE name = ?", arguments: [model.name]) == nil else {
                throw WardenError.invalidInput("The model '\(model.name)' already exists")
            }
            try db.execute(sql: "INSERT INTO models (name, json) VALUES (?, ?)", arguments: [model.name, json])
            try Self.appendAudit(audit, db)
        }
    }

    public func updateModel(_ model: RegisteredModel, audit: AuditDraft) async throws {
        let json = try Self.encode(model)
        try await write { db in
            try db.execute(sql: "UPDATE models SET json = ? WHERE name = ?", arguments: [json, model.name])
            guard db.changesCount == 1 else { throw WardenError.notFound("No model '\(model.name)'") }
            try Self.appendAudit(audit, db)
        }
    }

    // MARK: versions

    public func versions(of model: String) async throws -> [ModelVersion] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT json FROM versions WHERE model = ? ORDER BY version", arguments: [model])
                .map { try self.decodedVersions.value(for: $0) }
        }
    }

    public func version(_ model: String, _ version: Int) async throws -> ModelVersion? {
        try await read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT json FROM versions WHERE model = ? AND version = ?"), arguments: [model, version])
                .map { try self.decodedVersions.value(for: $0) }
        }
    }

    public func addVersion(_ draft: ModelVersion, audit: AuditDraft) async throws -> ModelVersion {
        try await addVersion(draft, audit: audit) { _ in [] }
    }

    public func addVersion(
        _ draft: ModelVersion, audit: AuditDraft, documents: @escaping @Sendable (ModelVersion) -> [DocumentWrite]
    ) async throws -> ModelVersion {
        try await write { db in
            guard try Int.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM models WHERE name = ?"), arguments: [draft.model]) != nil else {
                throw WardenError.notFound("No model '\(draft.model)'")
            }
            var stored = draft
            stored.version =
                (try Int.fetchOne(try db.cachedStatement(sql: "SELECT MAX(version) FROM versions WHERE model = ?"), arguments: [draft.model]) ?? 0) + 1
            try db.cachedStatement(sql: "INSERT INTO versions (model, version, json) VALUES (?, ?, ?)")
                .execute(arguments: [stored.model, stored.version, stored.storedJSON])
            var audit = audit
            audit.subject = "\(stored.model)/\(stored.version)"
            var head = try Self.appendAudit(audit, db)
            for document in documents(stored) {
                head = try Self.saveDocument(document.kind, document.id, json: document.value.compactString, audit: document.audit, db, after: head)
            }
            return stored
        }
    }

    public func latestVersions(of model: String, limit: Int) async throws -> [ModelVersion] {
        try await read { db in
            try String.fetchAll(
                try db.cachedStatement(sql: "SELECT json FROM versions WHERE model = ? ORDER BY version DESC LIMIT ?"), arguments: [model, max(0, limit)]
            ).map { try self.decodedVersions.value(for: $0) }
        }
    }

    public func updateVersion(_ version: ModelVersion, audit: AuditDraft) async throws {
        let json = version.storedJSON
        try await write { db in
            try db.execute(sql: "UPDATE versions SET json = ? WHERE model = ? AND version = ?", arguments: [json, version.model, version.version])
            guard db.changesCount == 1 else { throw WardenError.notFound("No version \(version.version) of '\(version.model)'") }
            try Self.appendAudit(audit, db)
        }
    }

    // MARK: aliases and approvals

    public func aliases(of model: String) async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(try db.cachedStatement(sql: "SELECT alias, version FROM aliases WHERE model = ?"), arguments: [model]) {
                out[row["alias"]] = row["version"]
            }
            return out
        }
    }

    public func aliasHistory(of model: String, alias: String?) async throws -> [AliasMove] {
        try await read { db in
            let rows = alias == nil
                ? try String.fetchAll(db, sql: "SELECT json FROM alias_moves WHERE model = ? ORDER BY id", arguments: [model])
                : try String.fetchAll(db, sql: "SELECT json FROM alias_moves WHERE model = ? AND alias = ? ORDER BY id", arguments: [model, alias])
            return try rows.map { try Self.decode(AliasMove.self, $0) }
        }
    }

    public func moveAlias(_ move: AliasMove, audit: AuditDraft) async throws {
        let json = try Self.encode(move)
        try await write { db in
            if let to = move.to {
                try db.execute(
                    sql: "INSERT INTO aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version",
                    arguments: [move.model, move.alias, to])
            } else {
                try db.execute(sql: "DELETE FROM aliases WHERE model = ? AND alias = ?", arguments: [move.model, move.alias])
            }
            try db.execute(sql: "INSERT INTO alias_moves (model, alias, json) VALUES (?, ?, ?)", arguments: [move.model, move.alias, json])
            try Self.appendAudit(audit, db)
        }
    }

    public func approvals(of model: String, version: Int) async throws -> [Approval] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT json FROM approvals WHERE model = ? AND version = ? ORDER BY id", arguments: [model, version])
                .map { try Self.decode(Approval.self, $0) }
        }
    }

    public func addApproval(_ approval: Approval, audit: AuditDraft) async throws {
        let json = try Self.encode(approval)
        try await write { db in
            try db.execute(
                sql: "INSERT INTO approvals (model, version, json) VALUES (?, ?, ?)", arguments: [approval.model, approval.version, json])
            try Self.appendAudit(audit, db)
        }
    }

    // MARK: principals and tokens

    public func principal(id: String) async throws -> Principal? {
        try await read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT json FROM principals WHERE id = ?"), arguments: [id]).map { try Self.decode(Principal.self, $0) }
        }
    }

    public func savePrincipal(_ principal: Principal, audit: AuditDraft) async throws {
        let json = try Self.encode(principal)
        try await write { db in
            try db.execute(
                sql: "INSERT INTO principals (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                arguments: [principal.id, json])
            try Self.appendAudit(audit, db)
        }
    }

    public func token(id: String) async throws -> APIToken? {
        try await read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT json FROM tokens WHERE id = ?"), arguments: [id]).map { try Self.decode(APIToken.self, $0) }
        }
    }

    public func saveToken(_ token: APIToken, audit: AuditDraft) async throws {
        let json = try Self.encode(token)
        try await write { db in
            try db.execute(
                sql: "INSERT INTO tokens (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json", arguments: [token.id, json])
            try Self.appendAudit(audit, db)
        }
    }

    // MARK: audit

    public func appendAudit(_ draft: AuditDraft) async throws {
        try await write { db in _ = try Self.appendAudit(draft, db) }
    }

    /// All of `drafts` in one transaction: one synced commit (the gateway's batched prediction audit).
    public func appendAudits(_ drafts: [AuditDraft]) async throws {
        guard !drafts.isEmpty else { return }
        try await write { db in
            var head: (seq: Int64, hash: String)?
            for draft in drafts { head = try Self.appendAudit(draft, db, after: head) }
        }
    }

    public func auditHead() async throws -> (seq: Int64, hash: String)? {
        try await read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")).map { ($0["seq"], $0["hash"]) }
        }
    }

    // MARK: documents

    public func document(_ kind: String, _ id: String) async throws -> JSONValue? {
        let text = try await read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT json FROM documents WHERE kind = ? AND id = ?"), arguments: [kind, id])
        }
        return try text.map { try JSONParser().parse($0, source: "document \(kind)") }
    }

    public func documents(_ kind: String, prefix: String, limit: Int) async throws -> [(id: String, value: JSONValue)] {
        let rows = try await read { db in
            // `id >= prefix AND id < prefix + U+10FFFF` is a prefix range the primary key serves.
            try Row.fetchAll(
                try db.cachedStatement(sql: "SELECT id, json FROM documents WHERE kind = ? AND id >= ? AND id < ? ORDER BY id LIMIT ?"),
                arguments: [kind, prefix, prefix + "\u{10FFFF}", limit]
            ).map { (id: $0["id"] as String, json: $0["json"] as String) }
        }
        return try rows.map { (id: $0.id, value: try JSONParser().parse($0.json, source: "document \(kind)")) }
    }

    public func saveDocument(_ kind: String, _ id: String, _ value: JSONValue, onlyIfAbsent: Bool, audit: AuditDraft) async throws -> Bool {
        let json = value.compactString
        return try await write { db in
            guard onlyIfAbsent else {
                try Self.saveDocument(kind, id, json: json, audit: audit, db)
                return true
            }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO documents (kind, id, json) VALUES (?, ?, ?)").execute(arguments: [kind, id, json])
            guard db.changesCount == 1 else { return false }
            try Self.appendAudit(audit, db)
            return true
        }
    }

    public func auditEvents(from seq: Int64, limit: Int) async throws -> [AuditEvent] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [seq, limit]
            ).map { row in
                var event = AuditEvent(
                    seq: row["seq"], prev: row["prev"], time: row["time"], actor: row["actor"], action: row["action"],
                    subject: row["subject"],
                    details: try JSONParser().parse(row["details"] as String, source: "audit details"))
                event.hash = row["hash"]  // as stored: verification recomputes it
                return event
            }
        }
    }
}
