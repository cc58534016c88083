import Foundation
import WardenKernelsGeneric

/// Single-precision matrix multiply, BLIS/Goto style: B is packed in `kc × nc` blocks of `nr`-wide
/// slivers, A in `mc × kc` blocks of `mr`-tall slivers (transposes are just strides, absorbed by the
/// packing), and a register-blocked micro-kernel for the chosen ``KernelSet`` multiplies them. A
/// block of only a few rows skips packing A: its rows stream through the row kernel, which computes
/// the same sums in the same order. B can also come packed in advance (``PackedMatrix``: weights
/// reused across many products).
///
/// Work is split over threads by columns (or rows, when C is tall and narrow), each thread packing its
/// own blocks with no synchronisation. The arithmetic for each element of C does not depend on the
/// split, so results are bit-for-bit the same for any thread count.
package enum GEMM {
    /// Below this many flops a second thread costs more than it saves.
    static let parallelThreshold = 20_000_000
    /// The same for a B packed in advance, where a thread only streams its share of B.
    static let packedParallelThreshold = 300_000

    /// `C = alpha · A · B + beta · C` (then ReLU when `relu`), where `A` is `m × k` (element `(i, p)`
    /// at `a[i·aRowStride + p·aColumnStride]`), `B` is `k × n`, and `C` is row-major with leading
    /// dimension `ldc`.
    package static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, bRowStride: Int, bColumnStride: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, relu: Bool = false,
        kernels: KernelSet = TensorRuntime.kernels, threads: Int = TensorRuntime.threads
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 || beta != 0 && beta != 1 {
            scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
            if k == 0 || alpha == 0 {
                if relu { reluRows(m: m, n: n, c: c, ldc: ldc) }
                return
            }
        }
        if m <= smallRows && (bColumnStride == 1 || bRowStride == 1) {
            multiplySmall(
                m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b,
                bRowStride: bRowStride, bColumnStride: bColumnStride, accumulate: beta != 0, c: c, ldc: ldc)
            if relu { reluRows(m: m, n: n, c: c, ldc: ldc) }
            return
        }
        let source = UncheckedPointer(b)
        let packB: BSource = { depthStart, depth, columnStart, columns, nr, scratch in
            GEMMPacking.packB(
                depth: depth, columns: columns, b: source.pointer + depthStart * bRowStride + columnStart * bColumnStride,
                rowStride: bRowStride, columnStride: bColumnStride, nr: nr, into: scratch)
            return UnsafePointer(scratch)
        }
        // Never run a kernel set the CPU lacks, whatever the caller asked for.
        let blocking = (kernels.isSupported ? kernels : .generic).gemm
        multiply(
            m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: packB,
            packsB: true, accumulate: beta != 0, relu: relu, c: c, ldc: ldc, blocking: blocking, threads: threads)
    }

    /// `C = alpha · A · B (+ C when accumulate)` (then ReLU when `relu`) with B packed in advance for
    /// its kernel set; `A` is `m × packed.depth`.
    package static func multiply(
        m: Int, alpha: Float = 1, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int, packed: PackedMatrix,
        accumulate: Bool, relu: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = TensorRuntime.threads
    ) {
        let (n, k) = (packed.columns, packed.depth)
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 {
            if !accumulate { scale(m: m, n: n, beta: 0, c: c, ldc: ldc) }
            if relu { reluRows(m: m, n: n, c: c, ldc: ldc) }
            return
        }
        let source = packed.handle
        let packedB: BSource = { depthStart, _, columnStart, _, _, _ in source.block(depthStart: depthStart, columnStart: columnStart) }
        withExtendedLifetime(packed) {
            multiply(
                m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: packedB,
                packsB: false, accumulate: accumulate, relu: relu, c: c, ldc: ldc, blocking: packed.blocking, threads: threads)
        }
    }

    /// `C *= beta` (zeroes when beta is 0, so stale NaNs do not survive).
    static func scale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }

    /// ReLU over `m × n` of C (`x ≤ 0 → 0`, NaN kept).
    static func reluRows(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        ConvolutionKernels.reluRows(c, ldc: ldc, rows: m, columns: n)
    }

    /// The `depth × columns` block of B at `(depthStart, columnStart)` in `nr`-wide slivers (see
    /// `GEMMPacking.packB`): packed into the scratch buffer (last argument) and returned, or found
    /// already packed. Lets a caller supply B without materialising it (convolution).
    typealias BSource = @Sendable (
        _ depthStart: Int, _ depth: Int, _ columnStart: Int, _ columns: Int, _ nr: Int, _ scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float>

    /// `C (+)= alpha · A · B` with B supplied by `b` (packing into scratch when `packsB`); C is
    /// overwritten unless `accumulate`.
    static func multiply(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: @escaping BSource, packsB: Bool, accumulate: Bool, relu: Bool, c: UnsafeMutablePointer<Float>, ldc: Int,
        blocking: GEMMBlocking, threads: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { scale(m: m, n: n, beta: 0, c: c, ldc: ldc) }
            if relu { reluRows(m: m, n: n, c: c, ldc: ldc) }
            return
        }
        let flops = 2 * m * n * k
        let threadCount = flops < (packsB ? parallelThreshold : packedParallelThreshold) ? 1 : Swift.max(1, threads)
        let job = Job(
            m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b, packsB: packsB,
            accumulate: accumulate, relu: relu, c: c, ldc: ldc, blocking: blocking)
        if threadCount == 1 {
            job.run(rows: 0..<m, columns: 0..<n)
            return
        }
        // Split C into aligned parts, one per thread. B packed here: the longer side (each thread packs
        // the part of B, or of A, it needs). B packed in advance and A read in place (nothing to pack):
        // the side that leaves the busiest thread the fewest register tiles (256 rows of 6 are 43 tiles,
        // 22 for one thread by rows × 16 column slivers, against 8 slivers × 43 by columns).
        let splitColumns: Bool
        if packsB {
            splitColumns = n >= m || n >= threadCount * blocking.nr * 4
        } else if aColumnStride != 1 || alpha != 1 {
            // A is packed: by rows, so each thread packs only its own rows, unless too few go round.
            splitColumns = m < 4 * blocking.mr * threadCount
        } else {
            let rowTiles = (m + blocking.mr - 1) / blocking.mr, columnTiles = (n + blocking.nr - 1) / blocking.nr
            let byRows = (rowTiles + threadCount - 1) / threadCount * columnTiles
            let byColumns = (columnTiles + threadCount - 1) / threadCount * rowTiles
            splitColumns = byColumns < byRows
        }
        let length = splitColumns ? n : m
        let unit = splitColumns ? blocking.nr : blocking.mr
        let units = (length + unit - 1) / unit
        let parts = Swift.min(threadCount, units)
        if parts == 1 {
            job.run(rows: 0..<m, columns: 0..<n)
            return
        }
        Parallel.run(parts: parts) { part in
            let first = units * part / parts * unit
            let last = Swift.min(length, units * (part + 1) / parts * unit)
            if splitColumns {
                job.run(rows: 0..<m, columns: first..<last)
            } else {
                job.run(rows: first..<last, columns: 0..<n)
            }
        }
    }

    /// Up to this many rows of A, B is streamed in place instead of packed.
    static let smallRows = 4

    static func multiplySmall(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, bRowStride: Int, bColumnStride: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>,
        ldc: Int
    ) {
        if bColumnStride == 1 {
            SmallGEMMKernels.rowsTimesRowMajor(
                m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b,
                bRowStride: bRowStride, c: c, ldc: ldc, accumulate: accumulate)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { scratch in
            SmallGEMMKernels.rowsTimesColumnMajor(
                m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b,
                bColumnStride: bColumnStride, c: c, ldc: ldc, accumulate: accumulate, scratch: scratch.baseAddress!)
        }
    }

    /// One multiplication's operands and blocking; `run` computes a rectangle of C.
    struct Job: @unchecked Sendable {
        // @unchecked: raw pointers into buffers the caller keeps alive for the whole call; threads
        // only read A and B and write disjoint rectangles of C.
        var m: Int, n: Int, k: Int, alpha: Float
        var a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int
        var b: BSource
        var packsB: Bool
        var accumulate: Bool
        var relu: Bool
        var c: UnsafeMutablePointer<Float>, ldc: Int
        var blocking: GEMMBlocking

        func run(rows: Range<Int>, columns: Range<Int>) {
            guard !rows.isEmpty, !columns.isEmpty else { return }
            let mr = blocking.mr
            let nr = blocking.nr
            let kcMax = blocking.depthBlock(k)
            let mcMax = Swift.min(blocking.mc, (rows.count + mr - 1) / mr * mr)
            let ncMax = packsB ? Swift.min(blocking.nc, (columns.count + nr - 1) / nr * nr) : 0
            PackingBufferPool.with(mcMax * kcMax, ncMax * kcMax) { packedA, packedB in
                runBlocks(rows: rows, columns: columns, packedA: packedA, packedB: packedB)
            }
        }

        func runBlocks(rows: Range<Int>, columns: Range<Int>, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>) {
            var jc = columns.lowerBound
            while jc < columns.upperBound {
                let nc = Swift.min(blocking.nc, columns.upperBound - jc)
                var pc = 0
                let depthBlock = blocking.depthBlock(k)
                while pc < k {
                    let kc = Swift.min(depthBlock, k - pc)
                    let blockB = b(pc, kc, jc, nc, blocking.nr, packedB)
                    let add = accumulate || pc > 0
                    let last = relu && pc + kc == k
                    var ic = rows.lowerBound
                    while ic < rows.upperBound {
                        let mc = Swift.min(blocking.mc, rows.upperBound - ic)
                        multiplyBlock(
                            rows: mc, columns: nc, depth: kc, a: a + ic * aRowStride + pc * aColumnStride, blockB: blockB,
                            c: c + ic * ldc + jc, add: add, relu: last, scratch: packedA)
                        ic += mc
                    }
                    pc += kc
                }
                jc += nc
            }
        }

        /// One `rows × depth` block of A times a packed block of B: through the row kernel for a few
        /// rows, else the micro-kernel; A is read in place when it is row-major and unscaled, else packed.
        func multiplyBlock(
            rows: Int, columns: Int, depth: Int, a: UnsafePointer<Float>, blockB: UnsafePointer<Float>,
            c: UnsafeMutablePointer<Float>, add: Bool, relu: Bool, scratch: UnsafeMutablePointer<Float>
        ) {
            if rows <= blocking.rowKernelRows {
                var source = a, stride = aRowStride
                if aColumnStride != 1 || alpha != 1 {
                    for i in 0..<rows {
                        for p in 0..<depth { scratch[i * depth + p] = alpha * a[i * aRowStride + p * aColumnStride] }
                    }
                    source = UnsafePointer(scratch)
                    stride = depth
                }
                blocking.rowKernel(rows, columns, depth, source, stride, blockB, c, ldc, add, relu)
                return
            }
            if aColumnStride == 1 && alpha == 1 {
                // Row-major and unscaled: the micro-kernel reads A where it is (the copy cost ~7 % of a
                // product with packed weights).
                blocking.macroKernelInPlace(rows, columns, depth, a, aRowStride, blockB, c, ldc, add, relu, nil)
                return
            }
            GEMMPacking.packA(
                rows: rows, depth: depth, a: a, rowStride: aRowStride, columnStride: aColumnStride, alpha: alpha, mr: blocking.mr,
                into: scratch)
            blocking.macroKernel(rows, columns, depth, scratch, blockB, c, ldc, add, relu, nil)
        }
    }
}

/// A pointer handed to worker threads or `@Sendable` closures.
struct UncheckedPointer<Pointee>: @unchecked Sendable {
    // @unchecked: the owner keeps the memory alive for the call and the workers touch disjoint parts.
    let pointer: UnsafePointer<Pointee>
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = pointer }
}
