import Dispatch
import Foundation

/// A writer thread behind a producer: the producer fills one of a few buffers while the previous
/// ones are written, so producing (hashing, encrypting) and writing overlap. Buffers are written in
/// the order they were submitted. Memory is `slots` buffers of `capacity` bytes.
///
/// Use: `let buffer = writer.next()`, fill it, `try writer.submit(count)`; at the end
/// `try writer.finish()` (which waits for the last write and rethrows the first write error).
public final class WriteBehind: @unchecked Sendable {
    // The semaphores order every access: a slot is filled only after `free`, written only after
    // `filled`, so the two threads never touch the same slot at once.
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lengths: UnsafeMutableBufferPointer<Int>
    private let filled = DispatchSemaphore(value: 0)
    private let free = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let failureBox = FailureBox()
    private var producerSlot = 0
    private var waitingForSlot = true
    private var done = false

    /// - Parameters:
    ///   - capacity: bytes per buffer.
    ///   - slots: buffers in flight (at least 2).
    ///   - write: writes one buffer; called on the writer thread, in submission order.
    public init(capacity: Int, slots: Int = 3, write: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) {
        let count = max(2, slots)
        buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64) }
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0)
        for _ in 0..<count { free.signal() }
        let shared = SharedSlots(buffers: buffers, lengths: lengths)
        let thread = Thread { [shared, filled, free, finished, failureBox] in
            let buffers = shared.buffers
            let lengths = shared.lengths
            var slot = 0
            while true {
                filled.wait()
                let length = lengths[slot]
                if length < 0 { break }
                if failureBox.error == nil {
                    do {
                        try write(UnsafeRawBufferPointer(rebasing: buffers[slot][0..<length]))
                    } catch {
                        failureBox.error = error
                    }
                }
                free.signal()
                slot = (slot + 1) % buffers.count
            }
            finished.signal()
        }
        thread.start()
    }

    deinit {
        if !done { stopWriter() }
        for buffer in buffers { buffer.deallocate() }
        lengths.deallocate()
    }

    /// The buffer to fill next (waits while every buffer is being written).
    public func next() -> UnsafeMutableRawBufferPointer {
        if waitingForSlot {
            free.wait()
            waitingForSlot = false
        }
        return buffers[producerSlot]
    }

    /// Hands the first `count` bytes of the buffer from ``next()`` to the writer.
    /// - Throws: the first error a previous write threw.
    public func submit(_ count: Int) throws {
        precondition(!waitingForSlot, "submit() without next()")
        lengths[producerSlot] = count
        filled.signal()
        producerSlot = (producerSlot + 1) % buffers.count
        waitingForSlot = true
        if let error = failureBox.error { throw error }
    }

    /// Waits for every submitted buffer to be written; rethrows the first write error.
    public func finish() throws {
        stopWriter()
        if let error = failureBox.error { throw error }
    }

    private func stopWriter() {
        guard !done else { return }
        done = true
        if waitingForSlot { free.wait() }
        lengths[producerSlot] = -1
        filled.signal()
        finished.wait()
    }
}

/// The buffers, handed to the writer thread; the semaphores order every access to them.
private final class SharedSlots: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    let lengths: UnsafeMutableBufferPointer<Int>
    init(buffers: [UnsafeMutableRawBufferPointer], lengths: UnsafeMutableBufferPointer<Int>) {
        self.buffers = buffers
        self.lengths = lengths
    }
}

/// The writer thread's first error, read by the producer after a semaphore handoff.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
