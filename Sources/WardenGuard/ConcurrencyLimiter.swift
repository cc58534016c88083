import Synchronization

/// At most `limit` requests at once: ``enter()`` says whether one more may start, ``leave()``
/// frees its place. A gateway-wide cap, so that a burst (or slow clients holding connections)
/// gets a fast refusal instead of queueing without bound.
public final class ConcurrencyLimiter: Sendable {
    public let limit: Int
    private let inFlight = Mutex(0)

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a place; false when all `limit` are taken.
    public func enter() -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Frees a place taken by ``enter()``.
    public func leave() { inFlight.withLock { $0 = max(0, $0 - 1) } }

    /// Requests in flight.
    public var current: Int { inFlight.withLock { $0 } }
}
