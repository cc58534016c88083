import Foundation
import Synchronization
import WardenCore

/// Per-client token buckets (requests per second with a burst) and a daily query budget (rows per UTC
/// day), on an injected clock. A client is whatever key the caller chooses (the gateway uses the
/// principal's id). Memory is bounded: past `maxClients` keys, buckets that are full again (so
/// equivalent to new ones) and budgets of earlier days are forgotten first.
public final class RateLimiter: Sendable {
    /// The limits every client gets.
    public struct Policy: Sendable, Equatable {
        /// Sustained requests per second; nil = no rate limit.
        public var ratePerSecond: Double?
        /// Requests a client may send at once after being idle (the bucket's size).
        public var burst: Int
        /// Rows (queries) per client and UTC day; nil = unlimited.
        public var dailyBudget: Int?

        public init(ratePerSecond: Double? = nil, burst: Int = 20, dailyBudget: Int? = nil) {
            self.ratePerSecond = ratePerSecond
            self.burst = burst
            self.dailyBudget = dailyBudget
        }

        /// Whether any limit is set.
        public var isActive: Bool { ratePerSecond != nil || dailyBudget != nil }
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
        var day: Int
        var used: Int
    }

    public let policy: Policy
    public let maxClients: Int
    let clock: WardenClock
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(policy: Policy, clock: WardenClock = .system, maxClients: Int = 100_000) {
        self.policy = policy
        self.clock = clock
        self.maxClients = max(1, maxClients)
    }

    /// Takes one request token from `client`'s bucket, or says why not (a client whose daily budget
    /// is used up is refused here too, before its request is read).
    /// - Throws: ``GuardError`` `.rateLimited` or `.budgetExhausted` with `retryAfter` in seconds.
    public func admit(_ client: String) throws(GuardError) {
        guard policy.isActive else { return }
        if let refusal = update(client, { bucket, now, day in
            if let refusal = Self.budgetRefusal(bucket, rows: 0, policy: policy, now: now, day: day) { return refusal }
            guard let rate = policy.ratePerSecond else { return nil }
            guard bucket.tokens >= 1 else {
                return GuardError(
                    .rateLimited, "over the rate limit of \(Self.number(rate)) requests/s (burst \(max(1, policy.burst)))", retryAfter: (1 - bucket.tokens) / rate)
            }
            bucket.tokens -= 1
            return nil
        }) { throw refusal }
    }

    /// Charges `rows` queries to `client`'s daily budget, or refuses (charging nothing) when they do
    /// not fit in what is left of today's budget.
    /// - Throws: ``GuardError`` `.budgetExhausted` with `retryAfter` (seconds to UTC midnight).
    public func charge(_ client: String, rows: Int) throws(GuardError) {
        guard policy.dailyBudget != nil else { return }
        if let refusal = update(client, { bucket, now, day in
            if let refusal = Self.budgetRefusal(bucket, rows: rows, policy: policy, now: now, day: day) { return refusal }
            bucket.used += rows
            return nil
        }) { throw refusal }
    }

    /// Applies `change` to `client`'s bucket refilled to now (creating it, evicting others when full).
    func update(_ client: String, _ change: (inout Bucket, Double, Int) -> GuardError?) -> GuardError? {
        let now = clock.now().timeIntervalSince1970
        let day = Int((now / 86_400).rounded(.down))
        let burst = Double(max(1, policy.burst))
        return buckets.withLock { buckets in
            if buckets[client] == nil, buckets.count >= maxClients {
                Self.evict(&buckets, capacity: maxClients, now: now, day: day, policy: policy, burst: burst)
            }
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now, day: day, used: 0)
            if let rate = policy.ratePerSecond { bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * rate) }
            bucket.updated = max(bucket.updated, now)
            if bucket.day < day {
                bucket.day = day
                bucket.used = 0
            }
            let refusal = change(&bucket, now, day)
            buckets[client] = bucket
            return refusal
        }
    }

    static func budgetRefusal(_ bucket: Bucket, rows: Int, policy: Policy, now: Double, day: Int) -> GuardError? {
        guard let budget = policy.dailyBudget else { return nil }
        let exhausted = rows == 0 ? bucket.used >= budget : bucket.used + rows > budget
        guard exhausted else { return nil }
        return GuardError(
            .budgetExhausted, "the daily query budget of \(budget) rows is used up (\(bucket.used) so far today, UTC)",
            retryAfter: Double(day + 1) * 86_400 - now)
    }

    /// Clients currently tracked.
    public var clientCount: Int { buckets.withLock { $0.count } }

    static func evict(_ buckets: inout [String: Bucket], capacity: Int, now: Double, day: Int, policy: Policy, burst: Double) {
        buckets = buckets.filter { _, bucket in
            let refilled = policy.ratePerSecond.map { bucket.tokens + max(0, now - bucket.updated) * $0 >= burst } ?? true
            let budgetFresh = policy.dailyBudget == nil || bucket.day != day || bucket.used == 0
            return !(refilled && budgetFresh)
        }
        // Every client is mid-window: forget the one idle longest (its limits restart).
        if buckets.count >= capacity, let oldest = buckets.min(by: { $0.value.updated < $1.value.updated }) { buckets[oldest.key] = nil }
    }

    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}
