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
                // Row-major A: each row is contiguous in k; transpose it into the sliver.
                transposeLines(lines: height, depth: depth, src: src, lineStride: rowStride, scale: alpha, dst: dst, ld: mr)
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
            } else if rowStride == 1 {
                // Transposed B: each column is contiguous in k; transpose it into the sliver.
                transposeLines(lines: width, depth: depth, src: src, lineStride: columnStride, scale: 1, dst: dst, ld: nr)
                if width < nr {
                    for p in 0..<depth { (dst + p * nr + width).update(repeating: 0, count: nr - width) }
                }
            } else {
                // Strided in both directions.
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

    /// `dst[p·ld + l] = scale · src[l·lineStride + p]` for `l < lines`, `p < depth`: lines contiguous
    /// in `p` written across (packing a row-major A or a transposed B). Four lines by four depths at a
    /// time are transposed in registers, so both sides move four floats at once.
    package static func transposeLines(
        lines: Int, depth: Int, src: UnsafePointer<Float>, lineStride: Int, scale: Float, dst: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let scaled = scale != 1
        var l = 0
        while l + 4 <= lines {
            let s0 = UnsafeRawPointer(src + l * lineStride), s1 = UnsafeRawPointer(src + (l + 1) * lineStride)
            let s2 = UnsafeRawPointer(src + (l + 2) * lineStride), s3 = UnsafeRawPointer(src + (l + 3) * lineStride)
            var p = 0
            while p + 4 <= depth {
                var r0 = s0.loadUnaligned(fromByteOffset: p * 4, as: SIMD4<Float>.self)
                var r1 = s1.loadUnaligned(fromByteOffset: p * 4, as: SIMD4<Float>.self)
                var r2 = s2.loadUnaligned(fromByteOffset: p * 4, as: SIMD4<Float>.self)
                var r3 = s3.loadUnaligned(fromByteOffset: p * 4, as: SIMD4<Float>.self)
                if scaled {
                    r0 *= scale
                    r1 *= scale
                    r2 *= scale
                    r3 *= scale
                }
                // [r0 r1] → evens [r0₀ r0₂ r1₀ r1₂], odds [r0₁ r0₃ r1₁ r1₃]; the same for r2, r3; then
                // the evens/odds of those pairs are the transposed columns.
                let a = SIMD8(lowHalf: r0, highHalf: r1), b = SIMD8(lowHalf: r2, highHalf: r3)
                let evens = SIMD8(lowHalf: a.evenHalf, highHalf: b.evenHalf)
                let odds = SIMD8(lowHalf: a.oddHalf, highHalf: b.oddHalf)
                let out = UnsafeMutableRawPointer(dst + p * ld + l)
                out.storeBytes(of: evens.evenHalf, toByteOffset: 0, as: SIMD4<Float>.self)
                out.storeBytes(of: odds.evenHalf, toByteOffset: ld * 4, as: SIMD4<Float>.self)
                out.storeBytes(of: evens.oddHalf, toByteOffset: 2 * ld * 4, as: SIMD4<Float>.self)
                out.storeBytes(of: odds.oddHalf, toByteOffset: 3 * ld * 4, as: SIMD4<Float>.self)
                p += 4
            }
            while p < depth {
                for q in 0..<4 { dst[p * ld + l + q] = scale * src[(l + q) * lineStride + p] }
                p += 1
            }
            l += 4
        }
        while l < lines {
            let line = src + l * lineStride
            if scaled {
                for p in 0..<depth { dst[p * ld + l] = scale * line[p] }
            } else {
                for p in 0..<depth { dst[p * ld + l] = line[p] }
            }
            l += 1
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
