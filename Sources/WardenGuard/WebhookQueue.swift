import Synchronization

/// Delivers alerts to a webhook without ever holding up inference: ``enqueue(_:)`` only appends to
/// a bounded buffer (full: the alert is dropped and counted), and one background task posts the
/// bodies in order, each with a timeout and a bounded number of retries (on a transport error,
/// 408, 429 and 5xx; other statuses are final), waiting `backoff`, 2·`backoff`, … in between.
/// The transport and the sleep are injected (the server passes an HTTP client; tests a fake).
/// Deliveries still queued when the queue is released are abandoned (and in the audit chain and
/// the alert file anyway).
public final class WebhookQueue: Sendable {
    public struct Policy: Sendable, Equatable {
        /// Seconds one attempt may take.
        public var timeout: Double = 5
        /// Attempts after the first.
        public var retries: Int = 3
        /// Seconds before the first retry (doubling each time).
        public var backoff: Double = 0.5
        /// Alerts waiting at most; beyond, new ones are dropped.
        public var capacity: Int = 1000
        public init() {}
    }

    /// Posts one body; returns the HTTP status. `timeout` is in seconds.
    public typealias Transport = @Sendable (_ body: [UInt8], _ timeout: Double) async throws -> Int
    public typealias Sleep = @Sendable (_ seconds: Double) async -> Void

    /// What happened to the alerts so far (`guard_webhook_*` metrics).
    public struct Counts: Sendable, Equatable {
        public var delivered = 0
        /// Gave up after the retries, or refused with a final status.
        public var failed = 0
        /// Not queued: the buffer was full.
        public var dropped = 0
        public var retries = 0
        public init(delivered: Int = 0, failed: Int = 0, dropped: Int = 0, retries: Int = 0) {
            self.delivered = delivered
            self.failed = failed
            self.dropped = dropped
            self.retries = retries
        }
    }

    final class Shared: Sendable {
        let counts = Mutex(Counts())
        /// Bodies queued or being delivered.
        let pending = Mutex(0)
    }

    public let policy: Policy
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let shared = Shared()

    public init(policy: Policy, transport: @escaping Transport, sleep: @escaping Sleep = WebhookQueue.taskSleep) {
        self.policy = policy
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(max(1, policy.capacity)))
        self.continuation = continuation
        let shared = shared
        Task.detached {
            for await body in stream {
                await Self.deliver(body, policy: policy, transport: transport, sleep: sleep, shared: shared)
                shared.pending.withLock { $0 -= 1 }
            }
        }
    }

    deinit { continuation.finish() }

    /// Queues a body; false (and counted as dropped) when the buffer is full. Never waits.
    @discardableResult
    public func enqueue(_ body: [UInt8]) -> Bool {
        shared.pending.withLock { $0 += 1 }
        if case .enqueued = continuation.yield(body) { return true }
        shared.pending.withLock { $0 -= 1 }
        shared.counts.withLock { $0.dropped += 1 }
        return false
    }

    public var counts: Counts { shared.counts.withLock { $0 } }

    /// Bodies queued or in delivery.
    public var pending: Int { shared.pending.withLock { $0 } }

    static func deliver(_ body: [UInt8], policy: Policy, transport: Transport, sleep: Sleep, shared: Shared) async {
        var wait = policy.backoff
        for attempt in 0...max(0, policy.retries) {
            if attempt > 0 {
                shared.counts.withLock { $0.retries += 1 }
                await sleep(wait)
                wait *= 2
            }
            let status = try? await transport(body, policy.timeout)
            if let status, (200..<300).contains(status) {
                shared.counts.withLock { $0.delivered += 1 }
                return
            }
            if let status, !Self.retryable(status) { break }
        }
        shared.counts.withLock { $0.failed += 1 }
    }

    static func retryable(_ status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    public static let taskSleep: Sleep = { seconds in try? await Task.sleep(for: .milliseconds(Int64(max(0, seconds) * 1000))) }
}
