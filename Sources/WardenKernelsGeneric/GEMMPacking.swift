/// Packing for the blocked GEMM (BLIS/Goto): copies a block of A or B into the layout the micro-kernels
/// stream through, zero-padding partial slivers. Element (i, j) of a matrix is at `base[i * rowStride +
/// j * columnStride]`, so a transposed operand is just swapped strides.
package enum GEMMPacking {
    /// Packs the `rows × depth` block of A into `ceil(rows / mr)` slivers, each `depth × mr`, k-major:
    /// `packed[s * depth * mr + p * mr + r] = alpha * A[s * mr + r, p]`.
    package static func packA(
        rows: Int, depth: Int, a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
        alpha: Float, mr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        var sliver = 0
        var row0 = 0
        while row0 < rows {
            let height = min(mr, rows - row0)
            let dst = packed + sliver * depth * mr
            let src = a + row0 * rowStride
            if columnStride == 1 {
                // Row-major A: each row is contiguous in k; write it with stride mr.
                for r in 0..<height {
                    let line = src + r * rowStride
                    var p = 0
                    if alpha == 1 {
                        while p < depth { dst[p * mr + r] = line[p]; p += 1 }
                    } else {
                        while p < depth { dst[p * mr + r] = alpha * line[p]; p += 1 }
                    }
                }
            } else {
                for p in 0..<depth {
                    let column = src + p * columnStride
                    let out = dst + p * mr
                    for r in 0..<height { out[r] = alpha * column[r * rowStride] }
                }
            }
            if height < mr {
                for p in 0..<depth {
                    for r in height..<mr { dst[p * mr + r] = 0 }
                }
            }
            sliver += 1
            row0 += mr
        }
    }

    /// Packs the `depth × columns` block of B into `ceil(columns / nr)` slivers, each `depth × nr`,
    /// row-major: `packed[s * depth * nr + p * nr + c] = B[p, s * nr + c]`.
    package static func packB(
        depth: Int, columns: Int, b: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
        nr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        var sliver = 0
        var col0 = 0
        while col0 < columns {
            let width = min(nr, columns - col0)
            let dst = packed + sliver * depth * nr
            let src = b + col0 * columnStride
            if columnStride == 1 {
                for p in 0..<depth {
                    let line = src + p * rowStride
                    let out = dst + p * nr
                    if width == nr {
                        out.update(from: line, count: nr)
                    } else {
                        out.update(from: line, count: width)
                        (out + width).update(repeating: 0, count: nr - width)
                    }
                }
            } else {
                // Transposed B: each column is contiguous (or strided) in k.
                for c in 0..<width {
                    let column = src + c * columnStride
                    var p = 0
                    while p < depth { dst[p * nr + c] = column[p * rowStride]; p += 1 }
                }
                if width < nr {
                    for p in 0..<depth { (dst + p * nr + width).update(repeating: 0, count: nr - width) }
                }
            }
            sliver += 1
            col0 += nr
        }
    }

    /// Writes a computed `mr × nr` tile (row-major in `tile`) into C, keeping only `rows × columns`,
    /// adding to C when `accumulate` is set. Shared by the micro-kernels' edge paths.
    package static func storeTile(
        _ tile: UnsafePointer<Float>, nr: Int, rows: Int, columns: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for r in 0..<rows {
            let out = c + r * ldc
            let line = tile + r * nr
            if accumulate {
                for j in 0..<columns { out[j] += line[j] }
            } else {
                for j in 0..<columns { out[j] = line[j] }
            }
        }
    }
}
