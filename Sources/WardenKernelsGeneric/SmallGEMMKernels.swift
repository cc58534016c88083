/// Products with very few rows of A (batch-1 inference is a vector times a matrix), where packing B
/// would cost as much as the multiplication: B is streamed once, in place.
package enum SmallGEMMKernels {
    /// `C[i, :] (+)= alpha · Σ_p A[i, p] · B[p, :]` for a B whose rows are contiguous (`B[p, j]` at
    /// `b[p·bRowStride + j]`).
    package static func rowsTimesRowMajor(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, bRowStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            let row = c + i * ldc
            if !accumulate { row.update(repeating: 0, count: n) }
            for p in 0..<k {
                let scale = alpha * a[i * aRowStride + p * aColumnStride]
                let line = b + p * bRowStride
                for j in 0..<n { row[j] += scale * line[j] }
            }
        }
    }

    /// `C[i, j] (+)= alpha · dot(A[i, :], B[:, j])` for a B whose columns are contiguous (`B[p, j]` at
    /// `b[p + j·bColumnStride]`, e.g. a transposed weight), with eight interleaved partial sums.
    package static func rowsTimesColumnMajor(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, bColumnStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        scratch: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<m {
            // A contiguous copy of the row, so both dot-product operands stream.
            for p in 0..<k { scratch[p] = a[i * aRowStride + p * aColumnStride] }
            let x = UnsafeRawPointer(scratch)
            for j in 0..<n {
                let column = b + j * bColumnStride
                let y = UnsafeRawPointer(column)
                var partial = SIMD8<Float>()
                var p = 0
                while p + 8 <= k {
                    partial += x.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
                        * y.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
                    p += 8
                }
                var total = partial.sum()
                while p < k {
                    total += scratch[p] * column[p]
                    p += 1
                }
                let o = i * ldc + j
                c[o] = accumulate ? c[o] + alpha * total : alpha * total
            }
        }
    }
}
