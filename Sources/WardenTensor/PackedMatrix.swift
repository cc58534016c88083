import Synchronization
import WardenCore
import WardenKernelsGeneric

/// A `depth × columns` right-hand operand of GEMM packed once, in the layout one kernel set's
/// micro-kernels stream (weights that multiply many batches): a product with it packs nothing.
///
/// Depth block `pc` (of `blocking.depthBlock(depth)` rows, the last possibly shorter) starts at `pc · paddedColumns`; in it,
/// sliver `s` of `nr` columns (zero-padded at the right edge) is `depth_block × nr` row-major at
/// `s · depth_block · nr`, exactly what `GEMMPacking.packB` writes for that block.
package final class PackedMatrix: @unchecked Sendable {
    // @unchecked: the buffer is written in `init` only and read afterwards.
    package let depth: Int
    package let columns: Int
    /// The kernel set it is packed for (the one the products run).
    package let kernels: KernelSet
    let blocking: GEMMBlocking
    let handle: Handle

    /// The packed buffer, handed to worker threads (the matrix outlives every product with it).
    struct Handle: @unchecked Sendable {
        // @unchecked: read-only after `init`.
        let base: UnsafeMutablePointer<Float>
        let depth: Int
        let kc: Int
        let paddedColumns: Int

        /// The packed block at depth `depthStart` (a multiple of `kc`) from column `columnStart` (a
        /// multiple of `nr`).
        func block(depthStart: Int, columnStart: Int) -> UnsafePointer<Float> {
            UnsafePointer(base + depthStart * paddedColumns + columnStart * Swift.min(kc, depth - depthStart))
        }
    }

    /// Packs `B` (`depth × columns`, element `(p, j)` at `b[p·rowStride + j·columnStride]`) for
    /// `kernels` (or the generic set when this CPU lacks them).
    package init(depth: Int, columns: Int, b: UnsafePointer<Float>, rowStride: Int, columnStride: Int, kernels: KernelSet) {
        let chosen = kernels.isSupported ? kernels : .generic
        self.depth = depth
        self.columns = columns
        self.kernels = chosen
        blocking = chosen.gemm
        let nr = blocking.nr
        let padded = (columns + nr - 1) / nr * nr
        let count = Swift.max(1, depth * padded)
        let base = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
        let depthBlock = blocking.depthBlock(depth)
        handle = Handle(base: base, depth: depth, kc: depthBlock, paddedColumns: padded)
        var pc = 0
        while pc < depth {
            let kc = Swift.min(depthBlock, depth - pc)
            GEMMPacking.packB(
                depth: kc, columns: columns, b: b + pc * rowStride, rowStride: rowStride, columnStride: columnStride, nr: nr,
                into: base + pc * padded)
            pc += kc
        }
    }

    deinit { UnsafeMutableRawPointer(handle.base).deallocate() }
}

/// A weight matrix for repeated products `x · W` (a dense layer at inference), packed lazily for each
/// kernel set that runs it; safe to share between concurrent runs.
package final class DenseWeights: Sendable {
    /// The weight as given (`[depth, columns]`, possibly a transposed view).
    package let matrix: Tensor<Float>
    private let packed = Mutex<[KernelSet: PackedMatrix]>([:])

    /// - Throws: `.invalidInput` unless `matrix` has rank 2.
    package init(_ matrix: Tensor<Float>) throws {
        guard matrix.rank == 2 else { throw WardenError.invalidInput("Dense weights must be a matrix, got shape \(matrix.shape)") }
        self.matrix = matrix
    }

    /// The weights packed for `kernels`, packing them on first use.
    package func packed(for kernels: KernelSet) -> PackedMatrix {
        if let existing = packed.withLock({ $0[kernels] }) { return existing }
        let m = matrix
        let made = PackedMatrix(
            depth: m.shape[0], columns: m.shape[1], b: m.pointer, rowStride: m.strides[0], columnStride: m.strides[1], kernels: kernels)
        return packed.withLock { cache in
            if let existing = cache[kernels] { return existing }
            cache[kernels] = made
            return made
        }
    }
}
