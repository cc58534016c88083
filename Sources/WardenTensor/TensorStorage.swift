/// The buffer behind one or more tensors (views share it). 64-byte aligned so SIMD loads stay within
/// cache lines.
final class TensorStorage<Element: TensorElement>: @unchecked Sendable {
    // @unchecked: written only by the operation that creates it, before any tensor shares it;
    // read-only afterwards, so concurrent readers never race with a writer.
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int) {
        self.count = count
        base = StorageCache.allocate(bytes: Self.bytes(count)).bindMemory(to: Element.self, capacity: Swift.max(1, count))
    }

    static func bytes(_ count: Int) -> Int { Swift.max(1, count) * MemoryLayout<Element>.stride }

    // Large buffers go back to a bounded cache for the next tensor of their size (see ``StorageCache``).
    deinit { StorageCache.release(UnsafeMutableRawPointer(base), bytes: Self.bytes(count)) }
}
