import Synchronization

/// Clients the gateway refuses (403) — blocked by a playbook or by a person
/// (`warden incident block`) — until a time or until unblocked. Keyed by the principal's id
/// (`anonymous` for callers without a token). Bounded: at most `capacity` entries; expired ones
/// are forgotten first, then the one that expires soonest.
public final class ClientBlocklist: Sendable {
    public struct Entry: Sendable, Equatable {
        public var client: String
        /// Seconds since 1970 (nil: until unblocked).
        public var until: Double?
        public var reason: String
        /// Who blocked (`warden-gateway` for a playbook, else the person's principal).
        public var by: String
        /// The incident that caused it, when a playbook did.
        public var incident: String?

        public init(client: String, until: Double?, reason: String, by: String, incident: String?) {
            self.client = client
            self.until = until
            self.reason = reason
            self.by = by
            self.incident = incident
        }
    }

    public let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(capacity: Int = 10_000) { self.capacity = max(1, capacity) }

    /// Blocks (or re-blocks, replacing the earlier entry).
    public func block(_ entry: Entry, now: Double) {
        entries.withLock { entries in
            if entries[entry.client] == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.until.map { $0 > now } ?? true }
                if entries.count >= capacity, let soonest = entries.min(by: { ($0.value.until ?? .infinity) < ($1.value.until ?? .infinity) }) {
                    entries[soonest.key] = nil
                }
            }
            entries[entry.client] = entry
        }
    }

    /// Removes a block; the entry, or nil when the client was not blocked.
    @discardableResult
    public func unblock(_ client: String, now: Double) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries.removeValue(forKey: client) else { return nil }
            return entry.until.map { $0 > now } ?? true ? entry : nil
        }
    }

    /// The block in force for `client`, if any.
    public func entry(for client: String, now: Double) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[client] else { return nil }
            if let until = entry.until, until <= now {
                entries[client] = nil
                return nil
            }
            return entry
        }
    }

    /// Blocks in force, by client.
    public func active(now: Double) -> [Entry] {
        entries.withLock { $0.values.filter { $0.until.map { $0 > now } ?? true }.sorted { $0.client < $1.client } }
    }
}
