import Synchronization

/// Reusable 64-byte-aligned scratch buffers for GEMM packing. Allocating and freeing them per call
/// made the allocator hand the memory back to the OS and fault it in again every time (≈ 40 % of a
/// 256³ multiply); a few buffers are kept instead, each at most ``maximumRetainedFloats`` long.
enum PackingBufferPool {
    struct Buffer: @unchecked Sendable {
        // @unchecked: a buffer is owned by exactly one caller between `take` and `give`.
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    static let maximumRetainedFloats = 4 << 20
    static let maximumRetained = 8
    private static let free = Mutex<[Buffer]>([])

    /// A buffer of at least `count` floats (reused when one is free).
    static func take(_ count: Int) -> Buffer {
        let reused = free.withLock { buffers -> Buffer? in
            guard let index = buffers.firstIndex(where: { $0.capacity >= count }) else { return nil }
            return buffers.remove(at: index)
        }
        if let reused { return reused }
        let capacity = Swift.max(count, 1024)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64).bindMemory(to: Float.self, capacity: capacity)
        return Buffer(pointer: pointer, capacity: capacity)
    }

    /// Returns a buffer for reuse (or frees it when it is large or the pool is full).
    static func give(_ buffer: Buffer) {
        let kept = buffer.capacity <= maximumRetainedFloats && free.withLock { buffers -> Bool in
            guard buffers.count < maximumRetained else { return false }
            buffers.append(buffer)
            return true
        }
        if !kept { UnsafeMutableRawPointer(buffer.pointer).deallocate() }
    }

    /// Runs `body` with two buffers of at least `a` and `b` floats.
    static func with<R>(_ a: Int, _ b: Int, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        let first = take(a)
        let second = take(b)
        defer {
            give(first)
            give(second)
        }
        return body(first.pointer, second.pointer)
    }
}
