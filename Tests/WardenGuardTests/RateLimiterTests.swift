import Foundation
import Synchronization
import Testing
import WardenCore
import WardenGuard

/// Token buckets and daily budgets on an injected clock: bursts, refill, Retry-After, per-client
/// isolation, the UTC day boundary, a clock going backwards, and bounded memory.
struct RateLimiterTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let time = Mutex<TimeInterval>(1_800_000_000)  // 2027-01-15T08:00:00Z
        var clock: WardenClock { WardenClock { Date(timeIntervalSince1970: self.time.withLock { $0 }) } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    func refusal(_ body: () throws -> Void) -> GuardError? {
        do {
            try body()
            return nil
        } catch {
            guard let refusal = error as? GuardError else {
                Issue.record("unexpected error \(error)")
                return nil
            }
            return refusal
        }
    }

    @Test func burstThenRefillWithRetryAfter() {
        let time = ManualClock()
        let limiter = RateLimiter(policy: .init(ratePerSecond: 2, burst: 3), clock: time.clock)
        for _ in 0..<3 { #expect(refusal { try limiter.admit("a") } == nil) }
        let limited = refusal { try limiter.admit("a") }
        #expect(limited?.code == .rateLimited)
        #expect(abs((limited?.retryAfter ?? 0) - 0.5) < 1e-9)
        // Another client has its own bucket.
        #expect(refusal { try limiter.admit("b") } == nil)
        time.advance(0.5)
        #expect(refusal { try limiter.admit("a") } == nil)
        #expect(refusal { try limiter.admit("a") }?.code == .rateLimited)
        // Idle for long: the bucket refills to the burst, not beyond.
        time.advance(3600)
        for _ in 0..<3 { #expect(refusal { try limiter.admit("a") } == nil) }
        #expect(refusal { try limiter.admit("a") }?.code == .rateLimited)
    }

    @Test func clockGoingBackwardsGrantsNothing() {
        let time = ManualClock()
        let limiter = RateLimiter(policy: .init(ratePerSecond: 1, burst: 1), clock: time.clock)
        #expect(refusal { try limiter.admit("a") } == nil)
        time.advance(-1000)
        #expect(refusal { try limiter.admit("a") }?.code == .rateLimited)
        time.advance(1000.5)
        #expect(refusal { try limiter.admit("a") }?.code == .rateLimited)
        time.advance(0.5)
        #expect(refusal { try limiter.admit("a") } == nil)
    }

    @Test func dailyBudgetCountsRowsAndResetsAtUTCMidnight() {
        let time = ManualClock()
        let limiter = RateLimiter(policy: .init(dailyBudget: 100), clock: time.clock)
        #expect(refusal { try limiter.charge("a", rows: 60) } == nil)
        let over = refusal { try limiter.charge("a", rows: 41) }
        #expect(over?.code == .budgetExhausted)
        // 08:00 UTC: 16 hours to midnight.
        #expect(abs((over?.retryAfter ?? 0) - 16 * 3600) < 1e-3)
        #expect(refusal { try limiter.charge("a", rows: 40) } == nil)
        #expect(refusal { try limiter.admit("a") }?.code == .budgetExhausted)
        #expect(refusal { try limiter.charge("b", rows: 100) } == nil)
        time.advance(16 * 3600)
        #expect(refusal { try limiter.admit("a") } == nil)
        #expect(refusal { try limiter.charge("a", rows: 100) } == nil)
        // A batch larger than the whole budget never fits.
        #expect(refusal { try limiter.charge("c", rows: 101) }?.code == .budgetExhausted)
    }

    @Test func memoryIsBounded() {
        let time = ManualClock()
        let limiter = RateLimiter(policy: .init(ratePerSecond: 1, burst: 1), clock: time.clock, maxClients: 50)
        for index in 0..<10_000 {
            _ = refusal { try limiter.admit("client-\(index)") }
            time.advance(0.01)
        }
        #expect(limiter.clientCount <= 50)
        #expect(RateLimiter(policy: .init(), clock: time.clock).policy.isActive == false)
    }
}
