import CWardenCPU
import WardenKernelsAVX2
import WardenKernelsAVX512
import WardenKernelsGeneric

/// Which compiled kernels run the hot loops: each lives in its own target built for its instruction
/// set, and only sets the CPU reports (cpuid + xgetbv) are ever called, so no CPU sees an instruction
/// it lacks.
public struct KernelSet: Hashable, Sendable, CustomStringConvertible, CaseIterable {
    fileprivate enum Internal: String, Sendable, CaseIterable {
        case generic, avx2, avx512
    }
    fileprivate let value: Internal
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
            GEMMBlocking(
                mr: GenericGEMMKernel.mr, nr: GenericGEMMKernel.nr, kc: 256, mc: 72, nc: 2048, rowKernelRows: 3,
                macroKernel: GenericGEMMKernel.macroKernel, macroKernelInPlace: GenericGEMMKernel.macroKernelInPlace,
                rowKernel: GenericGEMMKernel.rowKernel)
        case .avx2:
            GEMMBlocking(
                mr: AVX2GEMMKernel.mr, nr: AVX2GEMMKernel.nr, kc: 256, mc: 120, nc: 2048, rowKernelRows: 3,
                macroKernel: AVX2GEMMKernel.macroKernel, macroKernelInPlace: AVX2GEMMKernel.macroKernelInPlace,
                rowKernel: AVX2GEMMKernel.rowKernel)
        case .avx512:
            GEMMBlocking(
                mr: AVX512GEMMKernel.mr, nr: AVX512GEMMKernel.nr, kc: 384, mc: 144, nc: 2048, rowKernelRows: 6,
                macroKernel: AVX512GEMMKernel.macroKernel, macroKernelInPlace: AVX512GEMMKernel.macroKernelInPlace,
                rowKernel: AVX512GEMMKernel.rowKernel)
        }
    }
}

extension KernelSet {
    typealias MaxPool2x2 = @Sendable (
        _ planes: Int, _ height: Int, _ width: Int, _ outputHeight: Int, _ outputWidth: Int, _ x: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>?
    ) -> Void

    /// Max pooling over 2 × 2 windows with stride 2, built for this set (the generic one when this
    /// CPU lacks it).
    var maxPool2x2: MaxPool2x2 {
        switch (isSupported ? self : .generic).value {
        case .generic: GenericWindowKernels.maxPool2x2
        case .avx2: AVX2WindowKernels.maxPool2x2
        case .avx512: AVX512WindowKernels.maxPool2x2
        }
    }
}

extension KernelSet {
    typealias DirectConvolution = @Sendable (
        _ outputChannels: Int, _ outputHeight: Int, _ outputWidth: Int, _ rowStride: Int, _ depth: Int, _ offsets: UnsafePointer<Int>,
        _ padded: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ relu: Bool,
        _ blocks: Range<Int>, _ out: UnsafeMutablePointer<Float>
    ) -> Void

    /// The direct (patch-matrix-free) convolution for small patches built for this set (the generic one
    /// when this CPU lacks it), and how many output channels it computes together.
    var directConvolution: (kernel: DirectConvolution, channelBlock: Int) {
        switch (isSupported ? self : .generic).value {
        case .generic: (GenericConvKernels.directConvolution, GenericConvKernels.channelBlock)
        case .avx2: (AVX2ConvKernels.directConvolution, AVX2ConvKernels.channelBlock)
        case .avx512: (AVX512ConvKernels.directConvolution, AVX512ConvKernels.channelBlock)
        }
    }
}

extension KernelSet {
    typealias LaneConvolution = @Sendable (
        _ pixels: Int, _ pixelOffsets: UnsafePointer<Int>, _ depth: Int, _ offsets: UnsafePointer<Int>, _ padded: UnsafePointer<Float>,
        _ weights: UnsafePointer<Float>, _ groups: Range<Int>, _ bias: UnsafePointer<Float>?, _ relu: Bool,
        _ out: UnsafeMutablePointer<Float>, _ ld: Int
    ) -> Void
    typealias LanePool = @Sendable (
        _ width: Int, _ outputHeight: Int, _ outputWidth: Int, _ lanes: Int, _ channels: Int, _ x: UnsafePointer<Float>, _ ld: Int,
        _ pooled: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>
    ) -> Void

    /// The channels-in-lanes convolution (16 output channels per group) and the 2 × 2 max pooling of its
    /// pixel-major output into channel planes.
    struct LaneKernels: Sendable {
        var convolution: LaneConvolution
        var pool2x2: LanePool
    }

    /// The channels-in-lanes kernels built for this set (the generic ones when this CPU lacks it).
    var laneKernels: LaneKernels {
        switch (isSupported ? self : .generic).value {
        case .generic: LaneKernels(convolution: GenericConvKernels.laneConvolution, pool2x2: GenericConvKernels.lanePool2x2)
        case .avx2: LaneKernels(convolution: AVX2ConvKernels.laneConvolution, pool2x2: AVX2ConvKernels.lanePool2x2)
        case .avx512: LaneKernels(convolution: AVX512ConvKernels.laneConvolution, pool2x2: AVX512ConvKernels.lanePool2x2)
        }
    }
}

/// The shape of one kernel set's GEMM: register tile `mr × nr`, cache blocks `mc × kc` of A and
/// `kc × nc` of B, the macro-kernels that multiply packed blocks (or A in place), and the row kernel that multiplies
/// up to `rowKernelRows` unpacked rows of A by a packed block of B (the same sums, in the same order).
struct GEMMBlocking: Sendable {
    typealias MacroKernel = @Sendable (
        _ rows: Int, _ columns: Int, _ depth: Int, _ packedA: UnsafePointer<Float>, _ packedB: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ relu: Bool, _ rowBias: UnsafePointer<Float>?
    ) -> Void
    typealias MacroKernelInPlace = @Sendable (
        _ rows: Int, _ columns: Int, _ depth: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ packedB: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ relu: Bool, _ rowBias: UnsafePointer<Float>?
    ) -> Void
    typealias RowKernel = @Sendable (
        _ rows: Int, _ columns: Int, _ depth: Int, _ a: UnsafePointer<Float>, _ aRowStride: Int, _ packedB: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ relu: Bool
    ) -> Void
    var mr: Int
    var nr: Int
    var kc: Int
    var mc: Int
    var nc: Int
    var rowKernelRows: Int
    var macroKernel: MacroKernel
    /// The macro-kernel reading a row-major, unscaled A in place (no packing; the same sums).
    var macroKernelInPlace: MacroKernelInPlace
    var rowKernel: RowKernel

    /// The depth block for a product of depth `k`: at most `kc`, the blocks as even as possible (a last
    /// block of a few rows would pay a whole round trip of C for little work: 784 = 4 × 196, not
    /// 3 × 256 + 16).
    func depthBlock(_ k: Int) -> Int {
        let blocks = Swift.max(1, (k + kc - 1) / kc)
        return (k + blocks - 1) / blocks
    }
}
