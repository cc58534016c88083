import Synchronization
import WardenRegistry

/// The gateway's per-request audit events (`inference.predict`, `guard.adversarial`) on their way
/// to the registry's audit chain. A request hands its event over and is answered without waiting
/// for the commit; one background writer appends what is waiting, in arrival order, in one
/// transaction per batch (``RegistryStore/appendAudits(_:)``: one synced commit for the batch).
/// Why: a synced commit per prediction was the gateway's largest per-request cost (an `fdatasync`,
/// 0.3–4 ms on the measuring machine, several times the model's own time), and concurrent
/// requests queued behind each other's syncs.
///
/// Bounds and failures: at most `capacity` events wait; beyond, ``append(_:)`` waits until the
/// writer has committed a batch (back-pressure, nothing is dropped). A commit that fails is retried
/// after `retrySeconds` with its events kept in order; while the last commit failed,
/// ``append(_:)`` throws, so the gateway refuses to serve what it cannot audit (fail closed).
/// Events not yet committed are lost if the process is killed; a graceful stop commits them first
/// (``drain()``, called by ``RegistryServer/run(host:port:logger:onRunning:)``).
final class AuditQueue: Sendable {
    struct State {
        var pending: [AuditDraft] = []
        var writing = false
        var failure: (any Error)?
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var drainWaiters: [CheckedContinuation<Bool, Never>] = []
    }

    /// Appends a batch to the chain in order (the store's ``RegistryStore/appendAudits(_:)``).
    let commit: @Sendable ([AuditDraft]) async throws -> Void
    let capacity: Int
    let maxBatch: Int
    let retrySeconds: Double
    private let state = Mutex(State())

    convenience init(store: any RegistryStore) {
        self.init { try await store.appendAudits($0) }
    }

    init(capacity: Int = 4096, maxBatch: Int = 512, retrySeconds: Double = 0.5, commit: @escaping @Sendable ([AuditDraft]) async throws -> Void) {
        self.commit = commit
        self.capacity = max(1, capacity)
        self.maxBatch = max(1, maxBatch)
        self.retrySeconds = max(0, retrySeconds)
    }

    /// Events waiting for their commit.
    var pending: Int { state.withLock { $0.pending.count } }

    /// Queues `draft` for the chain (waits while `capacity` events are waiting).
    /// - Throws: the store's error while its last commit failed (the event is not queued).
    func append(_ draft: AuditDraft) async throws {
        while true {
            enum Step {
                case queued(startWriter: Bool)
                case full
                case failed(any Error)
            }
            let step: Step = state.withLock { state in
                if let failure = state.failure { return .failed(failure) }
                guard state.pending.count < capacity else { return .full }
                state.pending.append(draft)
                guard !state.writing else { return .queued(startWriter: false) }
                state.writing = true
                return .queued(startWriter: true)
            }
            switch step {
            case .queued(let startWriter):
                if startWriter { Task.detached { await self.write() } }
                return
            case .failed(let error):
                throw error
            case .full:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        guard state.pending.count >= capacity, state.failure == nil else { return true }
                        state.spaceWaiters.append(continuation)
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    /// Returns once every queued event is committed (true), or at once when the last commit failed
    /// (false: what is still queued may never reach the chain).
    @discardableResult
    func drain() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let outcome: Bool? = state.withLock { state in
                if state.failure != nil { return false }
                if !state.writing, state.pending.isEmpty { return true }
                state.drainWaiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }

    /// The writer: commits the oldest waiting events (up to `maxBatch`) until none wait.
    private func write() async {
        while true {
            let (batch, drained): ([AuditDraft], [CheckedContinuation<Bool, Never>]) = state.withLock { state in
                if state.pending.isEmpty {
                    state.writing = false
                    defer { state.drainWaiters = [] }
                    return ([], state.drainWaiters)
                }
                return (Array(state.pending.prefix(maxBatch)), [])
            }
            if batch.isEmpty {
                for waiter in drained { waiter.resume(returning: true) }
                return
            }
            do {
                try await commit(batch)
                let waiters = state.withLock { state in
                    state.pending.removeFirst(batch.count)
                    state.failure = nil
                    defer { state.spaceWaiters = [] }
                    return state.spaceWaiters
                }
                for waiter in waiters { waiter.resume() }
            } catch {
                let (space, drains) = state.withLock { state in
                    state.failure = error
                    defer {
                        state.spaceWaiters = []
                        state.drainWaiters = []
                    }
                    return (state.spaceWaiters, state.drainWaiters)
                }
                // Waiting appenders see the failure and throw; drains return false.
                for waiter in space { waiter.resume() }
                for waiter in drains { waiter.resume(returning: false) }
                try? await Task.sleep(for: .milliseconds(Int64(retrySeconds * 1000)))
            }
        }
    }
}
