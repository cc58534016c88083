import Foundation

/// Splitting a loop over threads for the tensor kernels.
enum Parallel {
    /// Calls `body` with contiguous parts of `0..<count`, on up to `threads` threads (in the caller
    /// when one). The parts depend only on `count` and the thread count, and each element is handled
    /// the same way in any part, so results never depend on the split.
    static func forEachRange(count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = Swift.max(1, Swift.min(threads, count))
        if parts == 1 {
            body(0..<count)
            return
        }
        run(parts: parts) { part in
            body(count * part / parts..<count * (part + 1) / parts)
        }
    }

    /// Calls `body(0..<parts)`, each part once, in parallel (on ``WorkerPool``'s threads and the caller);
    /// returns when all have finished.
    static func run(parts: Int, _ body: @Sendable (Int) -> Void) {
        WorkerPool.shared.run(parts: parts, body)
    }
}

/// A mutable pointer handed to worker threads that write disjoint parts of it.
struct UncheckedMutablePointer<Pointee>: @unchecked Sendable {
    // @unchecked: the owner keeps the memory alive for the call and the workers touch disjoint parts.
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
