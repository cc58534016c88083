import WardenCore

/// Matrix products on `Float` tensors (the GEMM hot path).
extension Tensor where Element == Float {
    /// The matrix product with NumPy/ONNX `MatMul` semantics: the last two dimensions multiply,
    /// leading (batch) dimensions broadcast, a rank-1 operand is a row (left) or column (right) vector.
    /// `transposeA`/`transposeB` transpose the last two dimensions of a rank ≥ 2 operand without copying.
    /// - Throws: `.invalidInput` when the inner dimensions or batch dimensions do not match.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1 else {
            throw WardenError.invalidInput("MatMul needs operands of rank ≥ 1, got \(a.shape) and \(b.shape)")
        }
        // Promote vectors, remembering which dimension to drop from the result.
        var left = a.rank == 1 ? try a.unsqueezed(axes: [0]) : a
        var right = b.rank == 1 ? try b.unsqueezed(axes: [1]) : b
        if transposeA && a.rank >= 2 { left = try left.swappingLastTwo() }
        if transposeB && b.rank >= 2 { right = try right.swappingLastTwo() }
        let m = left.shape[left.rank - 2]
        let k = left.shape[left.rank - 1]
        let n = right.shape[right.rank - 1]
        guard right.shape[right.rank - 2] == k else {
            throw WardenError.invalidInput(
                "MatMul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
        }
        let batch = try broadcastShape(Array(left.shape.dropLast(2)), Array(right.shape.dropLast(2)))
        var resultShape = batch + [m, n]
        var result = try build(shape: resultShape) { _ in }
        let batchCount = batch.reduce(1, *)
        if batchCount > 0 && m > 0 && n > 0 {
            if right.rank == 2 && left.rank > 2 && left.isFoldable {
                // [batch…, m, k] × [k, n]: one GEMM with the batch folded into the rows.
                multiply2D(left, right, m: batchCount * m, n: n, k: k, into: result.pointer, ldc: n, aRowStride: left.strides[left.rank - 2])
            } else {
                let leftView = try left.broadcast(to: batch + [m, k])
                let rightView = try right.broadcast(to: batch + [k, n])
                let batchStrides = (Array(leftView.strides.dropLast(2)), Array(rightView.strides.dropLast(2)))
                StridedRuns.forEachIndex(shape: batch, strides: batchStrides.0, batchStrides.1) { position, offsetA, offsetB in
                    GEMM.multiply(
                        m: m, n: n, k: k, a: leftView.pointer + offsetA, aRowStride: leftView.strides[leftView.rank - 2],
                        aColumnStride: leftView.strides[leftView.rank - 1], b: rightView.pointer + offsetB,
                        bRowStride: rightView.strides[rightView.rank - 2], bColumnStride: rightView.strides[rightView.rank - 1],
                        c: result.pointer + position * m * n, ldc: n)
                }
            }
        } else if k == 0 || m == 0 || n == 0 {
            result.pointer.update(repeating: 0, count: result.count)
        }
        if a.rank == 1 { resultShape.remove(at: resultShape.count - 2) }
        if b.rank == 1 { resultShape.removeLast() }
        if resultShape != result.shape { result = try result.reshaped(to: resultShape) }
        return result
    }

    /// ONNX `Gemm`: `alpha · A' · B' + beta · C` for matrices `A`, `B` (`'` = transposed when asked)
    /// and an optional `C` that broadcasts to the `[M, N]` result. `C` seeds the output, so the
    /// product accumulates onto it in one pass.
    /// - Throws: `.invalidInput` when the operands are not matrices or the shapes do not fit.
    public static func gemm(
        _ a: Tensor, _ b: Tensor, _ c: Tensor? = nil, alpha: Float = 1, beta: Float = 1, transposeA: Bool = false,
        transposeB: Bool = false
    ) throws -> Tensor {
        try gemm(a, b, c, alpha: alpha, beta: beta, transposeA: transposeA, transposeB: transposeB, relu: false)
    }

    /// ``gemm(_:_:_:alpha:beta:transposeA:transposeB:)``, then ReLU in the same pass when `relu`
    /// (ONNX `Gemm` → `Relu`).
    package static func gemm(
        _ a: Tensor, _ b: Tensor, _ c: Tensor?, alpha: Float, beta: Float, transposeA: Bool, transposeB: Bool, relu: Bool
    ) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else {
            throw WardenError.invalidInput("Gemm needs matrices, got \(a.shape) and \(b.shape)")
        }
        let left = transposeA ? a.transposed() : a
        let right = transposeB ? b.transposed() : b
        let (m, k, n) = (left.shape[0], left.shape[1], right.shape[1])
        guard right.shape[0] == k else {
            throw WardenError.invalidInput("Gemm inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
        }
        let seed = try seedView(c, beta: beta, m: m, n: n)
        return try build(shape: [m, n]) { out in
            guard let base = out.baseAddress, m > 0, n > 0 else { return }
            fill(base, m: m, n: n, seed: seed)
            GEMM.multiply(
                m: m, n: n, k: k, alpha: alpha, a: left.pointer, aRowStride: left.strides[0], aColumnStride: left.strides[1],
                b: right.pointer, bRowStride: right.strides[0], bColumnStride: right.strides[1], beta: seed == nil ? 0 : beta,
                c: base, ldc: n, relu: relu)
        }
    }

    /// `alpha · x · W + beta · C` (then ReLU when `relu`) for `x` `[M, K]` and weights `W` `[K, N]`
    /// packed in advance (a dense layer at inference; ONNX `Gemm` with a constant `B`). Each row of
    /// the result gets the same bits whatever the batch size and thread count.
    /// - Throws: `.invalidInput` when `x` is not a `[M, K]` matrix or `C` does not broadcast to `[M, N]`.
    package static func dense(
        _ x: Tensor, _ weights: DenseWeights, bias c: Tensor?, alpha: Float = 1, beta: Float = 1, relu: Bool = false
    ) throws -> Tensor {
        let (k, n) = (weights.matrix.shape[0], weights.matrix.shape[1])
        guard x.rank == 2, x.shape[1] == k else {
            throw WardenError.invalidInput("Gemm inner dimensions differ: \(x.shape) × \(weights.matrix.shape)")
        }
        let m = x.shape[0]
        let seed = try seedView(c, beta: beta, m: m, n: n)
        let packed = weights.packed(for: TensorRuntime.kernels)
        return try build(shape: [m, n]) { out in
            guard let base = out.baseAddress, m > 0, n > 0 else { return }
            fill(base, m: m, n: n, seed: seed)
            if seed != nil, beta != 1 { GEMM.scale(m: m, n: n, beta: beta, c: base, ldc: n) }
            GEMM.multiply(
                m: m, alpha: alpha, a: x.pointer, aRowStride: x.strides[0], aColumnStride: x.strides[1], packed: packed,
                accumulate: seed != nil, relu: relu, c: base, ldc: n)
        }
    }

    /// `C` broadcast to `[m, n]` (a view), or `nil` when there is none or `beta` is 0.
    static func seedView(_ c: Tensor?, beta: Float, m: Int, n: Int) throws -> Tensor? {
        guard let c, beta != 0 else { return nil }
        return try c.broadcast(to: [m, n])
    }

    /// Writes `seed` (a `[m, n]` view) into a contiguous `[m, n]` buffer, or zeros without one.
    static func fill(_ base: UnsafeMutablePointer<Float>, m: Int, n: Int, seed: Tensor?) {
        guard let seed else {
            base.update(repeating: 0, count: m * n)
            return
        }
        let (rowStride, columnStride) = (seed.strides[0], seed.strides[1])
        for i in 0..<m {
            let source = seed.pointer + i * rowStride
            let row = base + i * n
            if columnStride == 1 {
                row.update(from: source, count: n)
            } else {
                for j in 0..<n { row[j] = source[j * columnStride] }
            }
        }
    }

    /// The matrix product `self × other` (see ``matmul(_:_:transposeA:transposeB:)``).
    /// - Throws: `.invalidInput` when the shapes do not fit.
    public func matmul(_ other: Tensor) throws -> Tensor { try Tensor.matmul(self, other) }

    /// Swaps the last two dimensions (a view).
    func swappingLastTwo() throws -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return try permuted(axes)
    }

    /// Whether the leading dimensions and the row dimension can fold into one row dimension.
    var isFoldable: Bool {
        let rowStride = strides[rank - 2]
        var expected = rowStride * shape[rank - 2]
        for axis in stride(from: rank - 3, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    static func multiply2D(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, aRowStride: Int) {
        GEMM.multiply(
            m: m, n: n, k: k, a: a.pointer, aRowStride: aRowStride, aColumnStride: a.strides[a.rank - 1], b: b.pointer,
            bRowStride: b.strides[0], bColumnStride: b.strides[1], c: c, ldc: ldc)
    }
}
