import Synchronization

/// Prepared forward convolutions of one constant weight (weights laid out for the kernels, patch and
/// pixel offsets), kept across runs of an ONNX node instead of prepared again per call: at batch 1 the
/// preparation cost ~6 % of the bench CNN's inference. Holds the few most recent input shapes.
package final class ConvolutionCache: Sendable {
    struct Key: Hashable {
        var input: [Int]
        var weight: [Int]
        var kernels: KernelSet
        var lanes: Bool
    }

    /// One prepared convolution; its buffers go back to the pool when the last user lets go.
    final class Entry: @unchecked Sendable {
        // @unchecked: `forward` is immutable after `init` and its `run` only reads it.
        let forward: Conv2DForward
        init(_ forward: Conv2DForward) { self.forward = forward }
        deinit { forward.release() }
    }

    /// Input shapes remembered (batch sizes differ between callers; each has its own plan).
    static let capacity = 4
    private let entries = Mutex<[(key: Key, entry: Entry)]>([])

    package init() {}

    /// The entry for `key`, prepared by `make` when missing (the oldest entry makes room).
    func entry(_ key: Key, make: () -> Conv2DForward) -> Entry {
        if let found = entries.withLock({ list in list.first(where: { $0.key == key })?.entry }) { return found }
        let made = Entry(make())
        return entries.withLock { list in
            if let found = list.first(where: { $0.key == key })?.entry { return found }
            if list.count >= Self.capacity { list.removeFirst() }
            list.append((key, made))
            return made
        }
    }
}
