import Foundation
import WardenKernelsGeneric

/// Single-precision matrix multiply, BLIS/Goto style: B is packed in `kc × nc` blocks of `nr`-wide
/// slivers, A in `mc × kc` blocks of `mr`-tall slivers (transposes are just strides, absorbed by the
/// packing), and a register-blocked micro-kernel for the chosen ``KernelSet`` multiplies them.
///
/// Work is split over threads by columns (or rows, when C is tall and narrow), each thread packing its
/// own blocks with no synchronisation. The arithmetic for each element of C does not depend on the
/// split, so results are bit-for-bit the same for any thread count.
package enum GEMM {
    /// Below this many flops a second thread costs more than it saves.
    static let parallelThreshold = 20_000_000

    /// `C = alpha · A · B + beta · C`, where `A` is `m × k` (element `(i, p)` at
    /// `a[i·aRowStride + p·aColumnStride]`), `B` is `k × n`, and `C` is row-major with leading dimension `ldc`.
    package static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, bRowStride: Int, bColumnStride: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        kernels: KernelSet = TensorRuntime.kernels, threads: Int = TensorRuntime.threads
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 || beta != 0 && beta != 1 {
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 {
                    row.update(repeating: 0, count: n)
                } else {
                    for j in 0..<n { row[j] *= beta }
                }
            }
            if k == 0 || alpha == 0 { return }
        }
        if m <= smallRows && (bColumnStride == 1 || bRowStride == 1) {
            multiplySmall(
                m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, b: b,
                bRowStride: bRowStride, bColumnStride: bColumnStride, accumulate: beta != 0, c: c, ldc: ldc)
            return
        }
        let source = UncheckedPointer(b)
        let packB: BPacker = { depthStart, depth, columnStart, columns, nr, packed in
            GEMMPacking.packB(
                depth: depth, columns: columns, b: source.pointer + depthStart * bRowStride + columnStart * bColumnStride,
                rowStride: bRowStride, columnStride: bColumnStride, nr: nr, into: packed)
        }
        multiply(
            m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, packB: packB,
            accumulate: beta != 0, c: c, ldc: ldc, kernels: kernels, threads: threads)
    }

    /// Packs the `depth × columns` block of B at `(depthStart, columnStart)` into `nr`-wide slivers
    /// (see `GEMMPacking.packB`); lets a caller supply B without materialising it (convolution).
    typealias BPacker = @Sendable (
        _ depthStart: Int, _ depth: Int, _ columnStart: Int, _ columns: Int, _ nr: Int, _ packed: UnsafeMutablePointer<Float>
    ) -> Void

    /// `C (+)= alpha · A · B` with B supplied by a packer; C is overwritten unless `accumulate`.
    static func multiply(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        packB: @escaping BPacker, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, kernels: KernelSet, threads: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        // Never run a kernel set the CPU lacks, whatever the caller asked for.
        let blocking = (kernels.isSupported ? kernels : .generic).gemm
        let flops = 2 * m * n * k
        let threadCount = flops < parallelThreshold ? 1 : Swift.max(1, threads)
        let job = Job(
            m: m, n: n, k: k, alpha: alpha, a: a, aRowStride: aRowStride, aColumnStride: aColumnStride, packB: packB,
            accumulate: accumulate, c: c, ldc: ldc, blocking: blocking)
        if threadCount == 1 {
            job.run(rows: 0..<m, columns: 0..<n)
            return
        }
        // Split the longer side of C into aligned parts, one per thread.
        let splitColumns = n >= m || n >= threadCount * blocking.nr * 4
        let length = splitColumns ? n : m
        let unit = splitColumns ? blocking.nr : blocking.mr
        let units = (length + unit - 1) / unit
        let parts = Swift.min(threadCount, units)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
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
        var packB: BPacker
        var accumulate: Bool
        var c: UnsafeMutablePointer<Float>, ldc: Int
        var blocking: GEMMBlocking

        func run(rows: Range<Int>, columns: Range<Int>) {
            guard !rows.isEmpty, !columns.isEmpty else { return }
            let mr = blocking.mr
            let nr = blocking.nr
            let kcMax = Swift.min(blocking.kc, k)
            let mcMax = Swift.min(blocking.mc, (rows.count + mr - 1) / mr * mr)
            let ncMax = Swift.min(blocking.nc, (columns.count + nr - 1) / nr * nr)
            PackingBufferPool.with(mcMax * kcMax, ncMax * kcMax) { packedA, packedB in
                runBlocks(rows: rows, columns: columns, packedA: packedA, packedB: packedB)
            }
        }

        func runBlocks(rows: Range<Int>, columns: Range<Int>, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>) {
            let mr = blocking.mr
            let nr = blocking.nr
            var jc = columns.lowerBound
            while jc < columns.upperBound {
                let nc = Swift.min(blocking.nc, columns.upperBound - jc)
                var pc = 0
                while pc < k {
                    let kc = Swift.min(blocking.kc, k - pc)
                    packB(pc, kc, jc, nc, nr, packedB)
                    let add = accumulate || pc > 0
                    var ic = rows.lowerBound
                    while ic < rows.upperBound {
                        let mc = Swift.min(blocking.mc, rows.upperBound - ic)
                        GEMMPacking.packA(
                            rows: mc, depth: kc, a: a + ic * aRowStride + pc * aColumnStride, rowStride: aRowStride,
                            columnStride: aColumnStride, alpha: alpha, mr: mr, into: packedA)
                        blocking.macroKernel(mc, nc, kc, packedA, packedB, c + ic * ldc + jc, ldc, add)
                        ic += mc
                    }
                    pc += kc
                }
                jc += nc
            }
        }
    }
}

/// A pointer handed to worker threads or `@Sendable` closures.
struct UncheckedPointer<Pointee>: @unchecked Sendable {
    // @unchecked: the owner keeps the memory alive for the call and the workers touch disjoint parts.
    let pointer: UnsafePointer<Pointee>
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = pointer }
}
