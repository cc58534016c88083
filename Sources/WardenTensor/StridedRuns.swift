/// Walks the elements of one or two strided views of the same shape in row-major order, as runs along
/// the innermost dimension after merging every pair of dimensions that both views lay out
/// contiguously (so a dense tensor is one run, and `[n, 10] + [10]` is `n` runs of 10).
enum StridedRuns {
    /// Calls `body(position, offset, run, stride)`: `position` is the row-major index of the run's first
    /// element, `offset` its offset in the view's storage (relative to the view's own offset), `run` the
    /// run's length and `stride` the distance between its elements.
    static func forEach(shape: [Int], strides: [Int], _ body: (Int, Int, Int, Int) -> Void) {
        forEach(shape: shape, strides: strides, strides) { position, a, _, run, strideA, _ in
            body(position, a, run, strideA)
        }
    }

    /// Two views: `body(position, offsetA, offsetB, run, strideA, strideB)`.
    static func forEach(
        shape: [Int], strides a: [Int], _ b: [Int], _ body: (Int, Int, Int, Int, Int, Int) -> Void
    ) {
        if shape.contains(0) { return }
        // Drop size-1 dimensions, then merge neighbours laid out contiguously in both views.
        var dims: [(size: Int, a: Int, b: Int)] = []
        for axis in shape.indices where shape[axis] != 1 {
            let next = (size: shape[axis], a: a[axis], b: b[axis])
            if let last = dims.last, last.a == next.a * next.size, last.b == next.b * next.size {
                dims[dims.count - 1] = (size: last.size * next.size, a: next.a, b: next.b)
            } else {
                dims.append(next)
            }
        }
        guard let inner = dims.last else {
            body(0, 0, 0, 1, 1, 1)
            return
        }
        let outerDims = dims.dropLast()
        let outerCount = outerDims.reduce(1) { $0 * $1.size }
        var counter = [Int](repeating: 0, count: outerDims.count)
        var offsetA = 0
        var offsetB = 0
        for run in 0..<outerCount {
            body(run * inner.size, offsetA, offsetB, inner.size, inner.a, inner.b)
            // Advance the odometer over the outer dimensions.
            var axis = outerDims.count - 1
            while axis >= 0 {
                let dim = outerDims[outerDims.startIndex + axis]
                counter[axis] += 1
                offsetA += dim.a
                offsetB += dim.b
                if counter[axis] < dim.size { break }
                offsetA -= dim.a * dim.size
                offsetB -= dim.b * dim.size
                counter[axis] = 0
                axis -= 1
            }
        }
    }
}

extension StridedRuns {
    /// Every index of `shape` in row-major order: `body(position, offsetA, offsetB)`.
    static func forEachIndex(shape: [Int], strides a: [Int], _ b: [Int], _ body: (Int, Int, Int) -> Void) {
        forEach(shape: shape, strides: a, b) { position, offsetA, offsetB, run, strideA, strideB in
            for i in 0..<run { body(position + i, offsetA + i * strideA, offsetB + i * strideB) }
        }
    }
}
