import Foundation
import WardenCore

/// Run-time choices for tensor operations: which kernels and how many threads.
///
/// Defaults come from the CPU and the environment, read once: `WARDEN_KERNELS=generic|avx2|avx512`
/// (a set the CPU lacks falls back to the best it has, see ``kernelNote``) and `WARDEN_THREADS=N`.
/// ``withKernels(_:_:)`` and ``withThreads(_:_:)`` override them for the work inside a closure (a task
/// local, so concurrent tasks do not disturb each other).
public enum TensorRuntime {
    @TaskLocal static var kernelOverride: KernelSet?
    @TaskLocal static var threadOverride: Int?

    private static let environmentChoice: (KernelSet, String?) = {
        let best = KernelSet.supported.last!
        guard let name = ProcessInfo.processInfo.environment["WARDEN_KERNELS"], !name.isEmpty else { return (best, nil) }
        guard let requested = KernelSet(name: name) else {
            return (best, "WARDEN_KERNELS='\(name)' is not one of generic, avx2, avx512; using \(best)")
        }
        guard requested.isSupported else {
            return (best, "WARDEN_KERNELS=\(requested) is not supported by this CPU; using \(best)")
        }
        return (requested, nil)
    }()

    /// The kernels used when nothing overrides them: `WARDEN_KERNELS` if this CPU supports it, else the
    /// fastest supported set.
    public static var defaultKernels: KernelSet { environmentChoice.0 }

    /// Why `WARDEN_KERNELS` was not honoured, or `nil`.
    public static var kernelNote: String? { environmentChoice.1 }

    /// The kernels operations use here and now.
    public static var kernels: KernelSet { kernelOverride ?? defaultKernels }

    /// The default thread count: `WARDEN_THREADS`, else the active processor count.
    public static let defaultThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["WARDEN_THREADS"], let n = Int(text), n > 0 { return Swift.min(n, 256) }
        return Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The thread count operations use here and now.
    public static var threads: Int { threadOverride ?? defaultThreads }

    /// Runs `body` with the given kernels.
    /// - Throws: `.unsupported` when this CPU cannot run them, and whatever `body` throws.
    public static func withKernels<R>(_ kernels: KernelSet, _ body: () throws -> R) throws -> R {
        guard kernels.isSupported else {
            throw WardenError.unsupported("This CPU cannot run the \(kernels) kernels (supported: \(KernelSet.supported.map(\.description).joined(separator: ", ")))")
        }
        return try $kernelOverride.withValue(kernels, operation: body)
    }

    /// Runs `body` with at most `threads` threads per operation (at least 1).
    public static func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try $threadOverride.withValue(Swift.max(1, threads), operation: body)
    }
}
