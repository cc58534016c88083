import Foundation
import Synchronization
import WardenCore
import WardenGuard
import WardenRegistry

/// Keeps the gateway's incident-response state across restarts, in the registry's store, each write
/// in the same transaction as its audit event:
/// - client blocks: documents of kind `guard.block` (id: the client), a block or an unblock;
/// - incidents: `guard.incident`, in `IncidentLog.capacity` slots used in turn (id: the incident
///   number modulo the capacity), so the store holds at most as many as the log;
/// - fallbacks: `guard.fallback` (id: the model), switched on by a playbook or off by a person.
/// They are loaded back (blocks into the ``ClientBlocklist``, incidents into the ``IncidentLog``,
/// fallbacks into the ``ServingRoutes``) before the first request is checked against them.
/// Documents that do not read as what they should be (hand-edited, truncated) are skipped, never
/// trusted; a stored fallback is restored only while it is still the configured one.
final class GuardPersistence: Sendable {
    static let kind = "guard.block"
    static let incidentKind = "guard.incident"
    static let fallbackKind = "guard.fallback"
    /// The most blocks loaded back (the blocklist's own bound).
    static let limit = 10_000

    let store: any RegistryStore
    let blocklist: ClientBlocklist
    let incidents: IncidentLog
    let routes: ServingRoutes
    /// The configured fallbacks (model → fallback): only these are restored.
    let fallbacks: [String: String]
    let clock: WardenClock
    private let restoring = Mutex<Task<Int, any Error>?>(nil)

    init(store: any RegistryStore, blocklist: ClientBlocklist, incidents: IncidentLog, routes: ServingRoutes, fallbacks: [String: String], clock: WardenClock) {
        self.store = store
        self.blocklist = blocklist
        self.incidents = incidents
        self.routes = routes
        self.fallbacks = fallbacks
        self.clock = clock
    }

    /// Loads the persisted blocks, incidents and fallbacks, once (tried again after a failure).
    func restored() async throws {
        let task = restoring.withLock { current -> Task<Int, any Error> in
            if let current { return current }
            let task = Task { try await self.load() }
            current = task
            return task
        }
        do {
            _ = try await task.value
        } catch {
            restoring.withLock { if $0 == task { $0 = nil } }
            throw error
        }
    }

    /// The blocks in force among the stored ones, put into the blocklist, the stored incidents into
    /// the log and the active fallbacks into the routes; how many blocks.
    func load() async throws -> Int {
        let now = clock.now().timeIntervalSince1970
        var count = 0
        for (id, value) in try await store.documents(Self.kind, prefix: "", limit: Self.limit) {
            guard let entry = Self.entry(value), entry.client == id, entry.until.map({ $0 > now }) ?? true else { continue }
            blocklist.block(entry, now: now)
            count += 1
        }
        let stored = try await store.documents(Self.incidentKind, prefix: "", limit: incidents.capacity)
        incidents.restore(stored.compactMap { IncidentLog.Incident(json: $0.value) })
        for (model, value) in try await store.documents(Self.fallbackKind, prefix: "", limit: Self.limit) {
            guard value["model"]?.stringValue == model, value["active"] == true, let fallback = value["fallback"]?.stringValue,
                fallbacks[model] == fallback
            else { continue }
            routes.fallBack(model, to: fallback)
        }
        return count
    }

    /// Records an incident as it stands (after its playbook actions), with its audit event.
    func save(_ incident: IncidentLog.Incident, audit: AuditDraft) async throws {
        let slot = (IncidentLog.number(incident.id) ?? 0) % incidents.capacity
        try await store.saveDocument(Self.incidentKind, String(slot), incident.json, onlyIfAbsent: false, audit: audit)
    }

    /// Records that `model` serves `fallback` (nil: serves itself again), with its audit event.
    func saveFallback(_ model: String, _ fallback: String?, audit: AuditDraft) async throws {
        let value: JSONValue = ["model": .string(model), "fallback": fallback.map { .string($0) } ?? .null, "active": .bool(fallback != nil)]
        try await store.saveDocument(Self.fallbackKind, model, value, onlyIfAbsent: false, audit: audit)
    }

    /// Records a block (with its audit event).
    func save(_ entry: ClientBlocklist.Entry, audit: AuditDraft) async throws {
        try await store.saveDocument(Self.kind, entry.client, Self.json(entry), onlyIfAbsent: false, audit: audit)
    }

    /// Records that `client` is no longer blocked (with its audit event).
    func lift(_ client: String, audit: AuditDraft) async throws {
        try await store.saveDocument(Self.kind, client, ["client": .string(client), "lifted": true], onlyIfAbsent: false, audit: audit)
    }

    static func json(_ entry: ClientBlocklist.Entry) -> JSONValue {
        .object([
            ("client", .string(entry.client)), ("until", entry.until.map { .double($0) } ?? .null), ("reason", .string(entry.reason)),
            ("by", .string(entry.by)), ("incident", entry.incident.map { .string($0) } ?? .null), ("lifted", false),
        ])
    }

    /// A stored block, or nil for a lifted one or anything malformed.
    static func entry(_ value: JSONValue) -> ClientBlocklist.Entry? {
        guard value["lifted"] == false, let client = value["client"]?.stringValue, !client.isEmpty, client.utf8.count <= 200,
            let reason = value["reason"]?.stringValue, let by = value["by"]?.stringValue
        else { return nil }
        var until: Double?
        if let stored = value["until"], stored != .null {
            guard let seconds = stored.doubleValue, seconds.isFinite else { return nil }
            until = seconds
        }
        var incident: String?
        if let stored = value["incident"], stored != .null {
            guard let id = stored.stringValue else { return nil }
            incident = id
        }
        return ClientBlocklist.Entry(
            client: InputValidator.clean(client), until: until, reason: InputValidator.clean(String(reason.prefix(500))),
            by: InputValidator.clean(String(by.prefix(200))), incident: incident.map { InputValidator.clean(String($0.prefix(40))) })
    }
}
