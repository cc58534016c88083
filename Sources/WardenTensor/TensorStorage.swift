/// The buffer behind one or more tensors (views share it). 64-byte aligned so SIMD loads stay within
/// cache lines.
final class TensorStorage<Element: TensorElement>: @unchecked Sendable {
    // @unchecked: written only by the operation that creates it, before any tensor shares it;
    // read-only afterwards, so concurrent readers never race with a writer.
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int) {
        self.count = count
        let bytes = Swift.max(1, count) * MemoryLayout<Element>.stride
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Element.self, capacity: Swift.max(1, count))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
