import Foundation
import Synchronization
import Testing

@testable import WardenTensor

/// The persistent worker threads behind the kernels' parallel sections: every part runs exactly once,
/// the caller returns only after all of them, and sections that meet (nested, or from several tasks)
/// still run every part.
struct WorkerPoolTests {
    /// Counts how often each part ran.
    final class Tally: Sendable {
        let counts: Mutex<[Int]>
        init(_ parts: Int) { counts = Mutex([Int](repeating: 0, count: parts)) }
        func hit(_ part: Int) { counts.withLock { $0[part] += 1 } }
        var values: [Int] { counts.withLock { $0 } }
    }

    @Test(arguments: [0, 1, 2, 3, 7, 64, 1000])
    func everyPartRunsOnce(parts: Int) {
        let pool = WorkerPool(workers: 3)
        defer { pool.stop() }
        for _ in 0..<50 {
            let tally = Tally(parts)
            pool.run(parts: parts) { tally.hit($0) }
            #expect(tally.values == [Int](repeating: 1, count: parts))
        }
    }

    /// Parts that take a while: the caller must wait for the ones the workers hold.
    @Test func callerWaitsForSlowParts() {
        let pool = WorkerPool(workers: 1)
        defer { pool.stop() }
        let finished = Atomic<Int>(0)
        pool.run(parts: 4) { part in
            if part % 2 == 1 { usleep(2_000) }
            finished.add(1, ordering: .relaxed)
        }
        #expect(finished.load(ordering: .relaxed) == 4)
    }

    /// A worker sleeps after its spin budget and wakes for the next section.
    @Test func wakesSleepingWorkers() {
        let pool = WorkerPool(workers: 2)
        defer { pool.stop() }
        for round in 0..<3 {
            let tally = Tally(6)
            pool.run(parts: 6) { tally.hit($0) }
            #expect(tally.values == [Int](repeating: 1, count: 6), "round \(round)")
            usleep(UInt32(WorkerPool.spinNanoseconds / 1000) * 3)
        }
    }

    /// A section started inside a part, and sections from several threads at once, fall back to
    /// `concurrentPerform` and still run every part.
    @Test func nestedAndConcurrentSections() async {
        let pool = WorkerPool(workers: 2)
        defer { pool.stop() }
        let inner = Tally(4 * 5)
        pool.run(parts: 4) { outer in
            pool.run(parts: 5) { inner.hit(outer * 5 + $0) }
        }
        #expect(inner.values == [Int](repeating: 1, count: 20))
        let tallies = (0..<4).map { _ in Tally(9) }
        await withTaskGroup(of: Void.self) { group in
            for tally in tallies {
                group.addTask {
                    for _ in 0..<100 { pool.run(parts: 9) { tally.hit($0) } }
                }
            }
        }
        for tally in tallies { #expect(tally.values == [Int](repeating: 100, count: 9)) }
    }

    /// GEMM through the pool gives the same bits on one and two threads.
    @Test func parallelProductMatchesOneThread() throws {
        let a = TensorTestSupport.random([300, 200], seed: 11)
        let b = TensorTestSupport.random([200, 260], seed: 12)
        let one = try TensorRuntime.withThreads(1) { try a.matmul(b) }
        for _ in 0..<5 {
            let two = try TensorRuntime.withThreads(2) { try a.matmul(b) }
            #expect(two == one)
        }
    }
}
