import Crypto
import Synchronization
import WardenCore

/// Credentials verified recently, so that a request costs one HMAC and a dictionary lookup instead
/// of a database read and a hash comparison (and, for basic auth, the same).
///
/// - Entries are keyed by HMAC-SHA256 of the presented credential under a random key made when the
///   process starts: the table never holds a secret or a plain hash of one, and a lookup's timing
///   says nothing about a secret an attacker does not already hold.
/// - Only a credential the store verified is remembered (``remember(credential:tokenID:principal:now:tokenExpiresAt:)``
///   is called after the check passed), so a wrong secret is never found here.
/// - Entries live `lifetimeMillis` and never past the token's own expiry; at most `capacity` are
///   kept, the least recently used dropped first.
/// - A revoke on this replica forgets the token at once (``forget(tokenID:)``); other replicas forget
///   it when the entry ages out — the lifetime bounds how long a revoked token stays usable there
///   (docs/registry.md).
public final class VerifiedTokenCache: Sendable {
    struct Key: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64
    }

    struct Entry {
        var key: Key
        var tokenID: String
        var principal: Principal
        var expiresAt: Int64
        /// Neighbours in recency order (slot numbers; -1 at the ends).
        var older = -1
        var newer = -1
    }

    /// A fixed-capacity LRU table: slots in an array, a doubly linked recency list through them.
    struct Table {
        var slots: [Entry] = []
        var index: [Key: Int] = [:]
        var free: [Int] = []
        var newest = -1
        var oldest = -1

        mutating func unlink(_ slot: Int) {
            let (older, newer) = (slots[slot].older, slots[slot].newer)
            if older >= 0 { slots[older].newer = newer } else { oldest = newer }
            if newer >= 0 { slots[newer].older = older } else { newest = older }
            slots[slot].older = -1
            slots[slot].newer = -1
        }

        mutating func makeNewest(_ slot: Int) {
            slots[slot].older = newest
            slots[slot].newer = -1
            if newest >= 0 { slots[newest].newer = slot } else { oldest = slot }
            newest = slot
        }

        mutating func remove(_ slot: Int) {
            unlink(slot)
            index[slots[slot].key] = nil
            slots[slot].principal = Principal(id: "", name: "")
            free.append(slot)
        }

        mutating func insert(_ entry: Entry, capacity: Int) {
            if let existing = index[entry.key] { remove(existing) }
            if index.count >= capacity, oldest >= 0 { remove(oldest) }
            let slot: Int
            if let reused = free.popLast() {
                slot = reused
                slots[slot] = entry
            } else {
                slot = slots.count
                slots.append(entry)
            }
            index[entry.key] = slot
            makeNewest(slot)
        }
    }

    private let table = Mutex<Table>(Table())
    private let hmacKey = SymmetricKey(size: .bits256)
    public let lifetimeMillis: Int64
    public let capacity: Int

    public init(lifetimeMillis: Int64, capacity: Int) {
        self.lifetimeMillis = lifetimeMillis
        self.capacity = max(1, capacity)
    }

    func key(_ credential: String) -> Key {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Array(credential.utf8), using: hmacKey))
        func word(_ at: Int) -> UInt64 { mac[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        return Key(a: word(0), b: word(8), c: word(16), d: word(24))
    }

    /// The principal of `credential` if it was verified within the lifetime and is still fresh at `now`.
    public func principal(for credential: String, now: Int64) -> Principal? {
        let key = key(credential)
        return table.withLock { table -> Principal? in
            guard let slot = table.index[key] else { return nil }
            guard now < table.slots[slot].expiresAt else {
                table.remove(slot)
                return nil
            }
            table.unlink(slot)
            table.makeNewest(slot)
            return table.slots[slot].principal
        }
    }

    /// Records a credential the store just verified as `tokenID`'s, for `principal`.
    public func remember(credential: String, tokenID: String, principal: Principal, now: Int64, tokenExpiresAt: Int64?) {
        let expiry = min(now + lifetimeMillis, tokenExpiresAt ?? Int64.max)
        guard expiry > now else { return }
        let entry = Entry(key: key(credential), tokenID: tokenID, principal: principal, expiresAt: expiry)
        table.withLock { $0.insert(entry, capacity: capacity) }
    }

    /// Forgets every entry of the token `tokenID` (revocation).
    public func forget(tokenID: String) { forget { $0.tokenID == tokenID } }

    /// Forgets every entry of the principal (its roles or grants changed).
    public func forget(principalID: String) { forget { $0.principal.id == principalID } }

    private func forget(where matches: (Entry) -> Bool) {
        table.withLock { table in
            for (_, slot) in table.index where matches(table.slots[slot]) { table.remove(slot) }
        }
    }

    public var count: Int { table.withLock { $0.index.count } }
}
