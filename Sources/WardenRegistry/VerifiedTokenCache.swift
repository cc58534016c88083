import Crypto
import Synchronization
import WardenCore

/// Tokens verified recently, so that a request costs a hash and a dictionary lookup instead of a
/// database read. Entries live `lifetimeMillis` (and never past the token's own expiry); a revoke
/// on this replica forgets the token at once, other replicas forget it when the entry ages out —
/// the lifetime bounds how long a revoked token stays usable there (docs/registry.md).
public final class VerifiedTokenCache: Sendable {
    struct Entry {
        var secretHash: [UInt8]
        var principal: Principal
        var expiresAt: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    public let lifetimeMillis: Int64
    public let capacity: Int

    public init(lifetimeMillis: Int64, capacity: Int) {
        self.lifetimeMillis = lifetimeMillis
        self.capacity = max(1, capacity)
    }

    /// The principal if `secret` is the cached token's and the entry is fresh at `now`.
    public func principal(id: String, secret: [UInt8], now: Int64) -> Principal? {
        let hash = Array(SHA256.hash(data: secret))
        return entries.withLock { table -> Principal? in
            guard let entry = table[id] else { return nil }
            guard now < entry.expiresAt else {
                table[id] = nil
                return nil
            }
            return ConstantTime.equal(entry.secretHash, hash) ? entry.principal : nil
        }
    }

    public func remember(id: String, secret: [UInt8], principal: Principal, now: Int64, tokenExpiresAt: Int64?) {
        let expiry = min(now + lifetimeMillis, tokenExpiresAt ?? Int64.max)
        let entry = Entry(secretHash: Array(SHA256.hash(data: secret)), principal: principal, expiresAt: expiry)
        entries.withLock { table in
            if table.count >= capacity {
                // Drop what has expired; if the table is still full, drop everything (a refill costs
                // one database read per token, and the bound on memory holds).
                table = table.filter { now < $0.value.expiresAt }
                if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            }
            table[id] = entry
        }
    }

    public func forget(id: String) { _ = entries.withLock { $0.removeValue(forKey: id) } }

    public func forget(principalID: String) {
        entries.withLock { table in table = table.filter { $0.value.principal.id != principalID } }
    }

    public var count: Int { entries.withLock { $0.count } }
}
