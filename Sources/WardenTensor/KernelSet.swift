import CWardenCPU
import WardenKernelsAVX2
import WardenKernelsAVX512
import WardenKernelsGeneric

/// Which compiled kernels run the hot loops: each lives in its own target built for its instruction
/// set, and only sets the CPU reports (cpuid + xgetbv) are ever called, so no CPU sees an instruction
/// it lacks.
public struct KernelSet: Hashable, Sendable, CustomStringConvertible, CaseIterable {
    private enum Internal: String, Sendable, CaseIterable {
        case generic, avx2, avx512
    }
    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    /// Portable Swift SIMD (baseline x86-64 or any CPU).
    public static let generic = KernelSet(.generic)
    /// AVX2 + FMA (Intel Haswell, AMD Zen and later).
    public static let avx2 = KernelSet(.avx2)
    /// AVX-512 F/CD/BW/DQ/VL (Intel Skylake-SP, AMD Zen 4 and later).
    public static let avx512 = KernelSet(.avx512)

    public static var allCases: [KernelSet] { [.generic, .avx2, .avx512] }

    /// The set named `generic`, `avx2` or `avx512`, or `nil`.
    public init?(name: String) {
        guard let value = Internal(rawValue: name.lowercased()) else { return nil }
        self.init(value)
    }

    public var description: String { value.rawValue }

    /// The kernel sets this CPU and OS can run, from the slowest to the fastest.
    public static let supported: [KernelSet] = {
        let features = warden_cpu_features()
        var sets: [KernelSet] = [.generic]
        if features & WARDEN_CPU_AVX2 != 0 { sets.append(.avx2) }
        if features & WARDEN_CPU_AVX512 != 0 { sets.append(.avx512) }
        return sets
    }()

    /// Whether this CPU can run the set.
    public var isSupported: Bool { KernelSet.supported.contains(self) }

    /// The GEMM register tile and cache blocking for this set.
    var gemm: GEMMBlocking {
        switch value {
        case .generic:
            GEMMBlocking(mr: GenericGEMMKernel.mr, nr: GenericGEMMKernel.nr, kc: 256, mc: 72, nc: 2048, macroKernel: GenericGEMMKernel.macroKernel)
        case .avx2:
            GEMMBlocking(mr: AVX2GEMMKernel.mr, nr: AVX2GEMMKernel.nr, kc: 256, mc: 120, nc: 2048, macroKernel: AVX2GEMMKernel.macroKernel)
        case .avx512:
            GEMMBlocking(mr: AVX512GEMMKernel.mr, nr: AVX512GEMMKernel.nr, kc: 384, mc: 144, nc: 2048, macroKernel: AVX512GEMMKernel.macroKernel)
        }
    }
}

/// The shape of one kernel set's GEMM: register tile `mr × nr`, cache blocks `mc × kc` of A and
/// `kc × nc` of B, and the macro-kernel that multiplies packed blocks.
struct GEMMBlocking: Sendable {
    typealias MacroKernel = @Sendable (
        _ rows: Int, _ columns: Int, _ depth: Int, _ packedA: UnsafePointer<Float>, _ packedB: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) -> Void
    var mr: Int
    var nr: Int
    var kc: Int
    var mc: Int
    var nc: Int
    var macroKernel: MacroKernel
}
