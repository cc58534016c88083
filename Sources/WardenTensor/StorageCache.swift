import Synchronization

/// Large tensor buffers kept after their tensors die and handed to the next tensor of the same size.
///
/// A training step allocates and frees the same few multi-megabyte activations and gradients every
/// time. On a thread other than the main one (the CLI's async `main`, a server task) glibc serves them
/// from a per-thread arena that gives freed memory back to the OS at once, so every step faulted its
/// activations in again: `warden train` spent 41 % of its CPU in the kernel and a CNN epoch took 6.3 s
/// where the same steps on the main thread took 2.2 s. Buffers from ``minimumBytes`` up are kept here
/// instead, at most ``maximumRetained`` of them and ``maximumRetainedBytes`` in all (a bounded cache,
/// not a leak); sizes are rounded up to 64 KiB so near sizes share buffers.
enum StorageCache {
    static let minimumBytes = 256 << 10
    static let granule = 64 << 10
    static let maximumRetained = 32
    static let maximumRetainedBytes = 96 << 20

    private struct Entry: @unchecked Sendable {
        // @unchecked: a free buffer owned by the cache alone until it is taken.
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
    }

    private struct State: Sendable {
        var entries: [Entry] = []
        var bytes = 0
    }

    private static let state = Mutex(State())

    /// The size actually allocated for a request of `bytes`.
    static func roundedSize(_ bytes: Int) -> Int {
        bytes < minimumBytes ? bytes : (bytes + granule - 1) / granule * granule
    }

    /// A 64-byte-aligned buffer of at least `bytes` (reused when one of that rounded size is free).
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = roundedSize(bytes)
        if size >= minimumBytes {
            let reused = state.withLock { state -> UnsafeMutableRawPointer? in
                guard let index = state.entries.lastIndex(where: { $0.bytes == size }) else { return nil }
                let entry = state.entries.remove(at: index)
                state.bytes -= entry.bytes
                return entry.pointer
            }
            if let reused { return reused }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Takes back a buffer from ``allocate(bytes:)`` (the same `bytes`): kept for reuse or freed.
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = roundedSize(bytes)
        if size >= minimumBytes {
            let kept = state.withLock { state -> Bool in
                guard size <= maximumRetainedBytes else { return false }
                // Make room by dropping the oldest buffers (freed outside the lock below).
                while state.entries.count >= maximumRetained || state.bytes + size > maximumRetainedBytes {
                    let oldest = state.entries.removeFirst()
                    state.bytes -= oldest.bytes
                    oldest.pointer.deallocate()
                }
                state.entries.append(Entry(pointer: pointer, bytes: size))
                state.bytes += size
                return true
            }
            if kept { return }
        }
        pointer.deallocate()
    }

    /// Frees every kept buffer (tests, or a caller done with large work).
    static func drain() {
        state.withLock { state in
            for entry in state.entries { entry.pointer.deallocate() }
            state = State()
        }
    }

    /// Buffers and bytes kept now.
    static var retained: (buffers: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }
}
