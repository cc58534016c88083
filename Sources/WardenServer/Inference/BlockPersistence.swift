import Foundation
import Synchronization
import WardenCore
import WardenGuard
import WardenRegistry

/// Keeps the gateway's client blocks across restarts: each block and each unblock is a document
/// of kind `guard.block` (id: the client) in the registry's store, written in the same transaction
/// as its audit event, and the blocks still in force are loaded back into the in-memory
/// ``ClientBlocklist`` before the first request is checked against it. Documents that do not
/// read as a block (hand-edited, truncated) are skipped, never trusted.
final class BlockPersistence: Sendable {
    static let kind = "guard.block"
    /// The most blocks loaded back (the blocklist's own bound).
    static let limit = 10_000

    let store: any RegistryStore
    let blocklist: ClientBlocklist
    let clock: WardenClock
    private let restoring = Mutex<Task<Int, any Error>?>(nil)

    init(store: any RegistryStore, blocklist: ClientBlocklist, clock: WardenClock) {
        self.store = store
        self.blocklist = blocklist
        self.clock = clock
    }

    /// Loads the persisted blocks into the blocklist, once (tried again after a failure).
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

    /// The blocks in force among the stored ones, put into the blocklist; how many.
    func load() async throws -> Int {
        let now = clock.now().timeIntervalSince1970
        var count = 0
        for (id, value) in try await store.documents(Self.kind, prefix: "", limit: Self.limit) {
            guard let entry = Self.entry(value), entry.client == id, entry.until.map({ $0 > now }) ?? true else { continue }
            blocklist.block(entry, now: now)
            count += 1
        }
        return count
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
