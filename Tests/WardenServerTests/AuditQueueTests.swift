import Synchronization
import Testing
import WardenCore
import WardenRegistry
import WardenRegistrySQLite
import WardenTesting

@testable import WardenServer

/// The gateway's batched audit writer: order, batching, back-pressure at capacity, fail-closed
/// while commits fail, and drain.
struct AuditQueueTests {
    static func draft(_ n: Int) -> AuditDraft { AuditDraft(time: "t", actor: "a", action: "inference.predict", subject: "m/1", details: ["n": .int(Int64(n))]) }

    /// Records the committed batches; the first commit waits until `open()`; commits throw while `failing`.
    final class Recorder: Sendable {
        let batches = Mutex<[[Int]]>([])
        let failing = Mutex(false)
        let gate: AsyncStream<Void>
        let opener: AsyncStream<Void>.Continuation
        let gated: Bool

        init(gated: Bool) {
            (gate, opener) = AsyncStream<Void>.makeStream()
            self.gated = gated
        }

        func open() { opener.yield() }

        func commit(_ drafts: [AuditDraft]) async throws {
            if gated, batches.withLock({ $0.isEmpty }) {
                for await _ in gate { break }
            }
            if failing.withLock({ $0 }) { throw WardenError.io("disk full") }
            batches.withLock { $0.append(drafts.compactMap { $0.details["n"]?.intValue.map(Int.init) }) }
        }

        var committed: [Int] { batches.withLock { $0.flatMap { $0 } } }
    }

    @Test func eventsArriveInOrderAndPileUpIntoOneBatchWhileACommitRuns() async throws {
        let recorder = Recorder(gated: true)
        let queue = AuditQueue(commit: recorder.commit)
        for n in 0..<200 { try await queue.append(Self.draft(n)) }
        #expect(queue.pending == 200, "nothing is committed while the first commit waits")
        recorder.open()
        #expect(await queue.drain())
        #expect(recorder.committed == Array(0..<200))
        // The first batch is what was queued when the writer started; everything else came in one more.
        #expect(recorder.batches.withLock { $0.count } <= 2, "\(recorder.batches.withLock { $0.map(\.count) })")
        #expect(queue.pending == 0)
        // The writer stops when idle and starts again for the next event.
        try await queue.append(Self.draft(200))
        #expect(await queue.drain())
        #expect(recorder.committed == Array(0...200))
    }

    @Test func aFullQueueHoldsTheNextRequestUntilACommitMakesRoom() async throws {
        let recorder = Recorder(gated: true)
        let queue = AuditQueue(capacity: 4, commit: recorder.commit)
        for n in 0..<4 { try await queue.append(Self.draft(n)) }
        let fifth = Task { try await queue.append(Self.draft(4)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(queue.pending == 4, "the fifth event waits outside the queue")
        recorder.open()
        try await fifth.value
        #expect(await queue.drain())
        #expect(recorder.committed == [0, 1, 2, 3, 4])
    }

    @Test func failingCommitsRefuseNewEventsAndRetryTheQueuedOnes() async throws {
        let recorder = Recorder(gated: false)
        recorder.failing.withLock { $0 = true }
        let queue = AuditQueue(retrySeconds: 0.01, commit: recorder.commit)
        try await queue.append(Self.draft(1))
        #expect(await queue.drain() == false, "a failed commit is reported")
        await #expect(throws: WardenError.self) { try await queue.append(Self.draft(2)) }
        recorder.failing.withLock { $0 = false }
        var drained = false
        for _ in 0..<500 where !drained {
            drained = await queue.drain()
            if !drained { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(drained && recorder.committed == [1], "the queued event is retried, the refused one never queued")
        try await queue.append(Self.draft(3))
        #expect(await queue.drain())
        #expect(recorder.committed == [1, 3])
    }

    @Test func theSQLiteStoreAppendsABatchInOrderAsOneValidChain() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteRegistryStore(path: folder.path + "/r.sqlite")
        try await store.appendAudit(Self.draft(0))
        try await store.appendAudits((1...50).map(Self.draft))
        try await store.appendAudits([])
        let events = try await store.auditEvents(from: 1, limit: 100)
        #expect(events.map { $0.details["n"]?.intValue } == (0...50).map { Int64($0) })
        #expect(AuditChain().verify(events) == nil)
    }
}
