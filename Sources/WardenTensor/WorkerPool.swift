import CWardenCPU
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent threads for the kernels' parallel sections, which last from a few microseconds (one image
/// at batch 1) to a few milliseconds.
///
/// `DispatchQueue.concurrentPerform` wakes a parked worker for every section, 5–10 µs before it starts,
/// and when the caller finishes its own part first it often runs the other part too (one thread doing
/// the whole product). Here the workers poll for work (with the CPU's spin-wait hint) for
/// ``spinNanoseconds`` after their last part before they sleep, so the sections of one inference, which
/// follow each other within microseconds, start at once on every thread.
///
/// A section's parts are claimed one at a time from a shared ticket (generation, part count and next
/// part in one atomic word), so each runs exactly once on whichever thread takes it; the caller takes
/// parts too and returns when all have finished. Only one section runs in the pool at a time: a section
/// started meanwhile (a nested one, or one from another task) runs through `concurrentPerform` as before.
/// Which thread runs a part never changes what it computes.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `job` is written only by the thread that holds `busy`, before it publishes the ticket
    // (release) and after every part has finished; workers read it only after claiming a part of that
    // ticket (acquire). The mutex and condition are used through pthread calls only.

    /// One pool for the process: a worker per processor beyond the caller (or per `WARDEN_THREADS` − 1
    /// when that is larger), started on first use.
    static let shared = WorkerPool(workers: Swift.min(63, Swift.max(TensorRuntime.defaultThreads, ProcessInfo.processInfo.activeProcessorCount) - 1))

    /// How long an idle worker polls for the next section before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    private static let fieldBits = 16
    private static let fieldMask = (1 << fieldBits) - 1
    /// The most parts one section may have (larger ones go through `concurrentPerform`).
    static let maximumParts = fieldMask

    let workerCount: Int
    /// Generation (high bits) | part count (16 bits) | next unclaimed part (16 bits).
    private let ticket = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let started = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let job: UnsafeMutablePointer<(@Sendable (Int) -> Void)?>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init(workers: Int) {
        workerCount = Swift.max(0, workers)
        job = .allocate(capacity: 1)
        job.initialize(to: nil)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        pthread_cond_init(condition, nil)
    }

    deinit {
        // The shared pool lives as long as the process; a pool that ends has no workers left waiting.
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
    }

    /// Calls `body(0..<parts)`, each part once, on the caller and the workers; returns when every part
    /// has finished.
    func run(parts: Int, _ body: @Sendable (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        guard workerCount > 0, parts <= Self.maximumParts, !stopping.load(ordering: .relaxed),
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
            return
        }
        startWorkers()
        withoutActuallyEscaping(body) { escaping in
            job.pointee = escaping
            finished.store(0, ordering: .relaxed)
            let generation = (ticket.load(ordering: .relaxed) >> (2 * Self.fieldBits)) &+ 1
            ticket.store((generation << (2 * Self.fieldBits)) | (parts << Self.fieldBits), ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            runClaimedParts()
            var polls = 0
            while finished.load(ordering: .acquiring) < parts {
                warden_cpu_relax()
                polls += 1
                // A worker holding a part was descheduled: let it have the processor.
                if polls >= 4096 { sched_yield() }
            }
            job.pointee = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs parts of the current section until none is left unclaimed.
    private func runClaimedParts() {
        var current = ticket.load(ordering: .acquiring)
        while true {
            let next = current & Self.fieldMask
            guard next < (current >> Self.fieldBits) & Self.fieldMask else { return }
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            // The section cannot end while this part is unfinished, so `job` is still its body.
            job.pointee!(next)
            finished.add(1, ordering: .releasing)
            current = ticket.load(ordering: .acquiring)
        }
    }

    /// Whether the current ticket has an unclaimed part.
    private func hasWork() -> Bool {
        Self.hasUnclaimedPart(ticket.load(ordering: .acquiring))
    }

    private static func hasUnclaimedPart(_ ticket: Int) -> Bool {
        ticket & fieldMask < (ticket >> fieldBits) & fieldMask
    }

    /// Ends the workers once they are idle (a pool made for a test; the shared one never stops). Runs
    /// after this go through `concurrentPerform`.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    private func startWorkers() {
        guard !started.load(ordering: .acquiring) else { return }
        guard started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        for index in 0..<workerCount {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "warden-tensor-\(index + 1)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    private func workerLoop() {
        while true {
            // Poll for work for a while after the last part, then sleep until a section is published.
            let deadline = DispatchTime.now().uptimeNanoseconds &+ Self.spinNanoseconds
            var polls = 0
            while !hasWork() {
                warden_cpu_relax()
                polls += 1
                if polls & 255 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while !Self.hasUnclaimedPart(ticket.load(ordering: .sequentiallyConsistent)) && !stopping.load(ordering: .sequentiallyConsistent) {
                        pthread_cond_wait(condition, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    break
                }
            }
            runClaimedParts()
            if stopping.load(ordering: .relaxed) && !hasWork() { return }
        }
    }
}
