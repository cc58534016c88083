import WardenCore
import WardenKernelsGeneric

/// Reductions, arg-max and softmax on `Float` tensors. All run in a fixed order (bit-for-bit repeatable).
extension Tensor where Element == Float {
    /// Reduces over `axes` (all when `nil`), merging neighbouring axes into one pass.
    package func reduce(_ op: ReductionKernel, axes: [Int]?, keepingDimensions: Bool) throws -> Tensor {
        let resolved = try Set((axes ?? Array(0..<rank)).map { try Self.normalizedAxis($0, rank: rank) }).sorted()
        var current = contiguous()
        var shape = self.shape
        // Groups of consecutive axes, reduced from the last group to the first.
        var groups: [ClosedRange<Int>] = []
        for axis in resolved {
            if let last = groups.last, last.upperBound == axis - 1 {
                groups[groups.count - 1] = last.lowerBound...axis
            } else {
                groups.append(axis...axis)
            }
        }
        for group in groups.reversed() {
            let outer = shape[..<group.lowerBound].reduce(1, *)
            let n = shape[group].reduce(1, *)
            let inner = shape[(group.upperBound + 1)...].reduce(1, *)
            if n == 0 && op != .sum {
                throw WardenError.invalidInput("Cannot take the \(op) of an empty dimension in \(self.shape)")
            }
            for axis in group { shape[axis] = 1 }
            let source = current
            current = try Tensor.build(shape: shape) { out in
                ReductionKernels.reduce(op, outer: outer, n: n, inner: inner, x: source.pointer, out: out.baseAddress!)
            }
        }
        if keepingDimensions { return current }
        let kept = (0..<rank).filter { !resolved.contains($0) }.map { self.shape[$0] }
        return try current.reshaped(to: kept)
    }

    /// The sum over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func sum(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(.sum, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func mean(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        let total = try sum(axes: axes, keepingDimensions: keepingDimensions)
        let n = Swift.max(1, count / Swift.max(1, total.count))
        return total * (1 / Float(n))
    }

    /// The largest element over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis or an empty dimension.
    public func max(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(.maximum, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The smallest element over `axes` (every axis when `nil`).
    /// - Throws: `.invalidInput` for an out-of-range axis or an empty dimension.
    public func min(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(.minimum, axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The index of the first largest element along `axis` (ONNX `ArgMax`).
    /// - Throws: `.invalidInput` for an out-of-range axis or an empty dimension.
    public func argmax(axis: Int = -1, keepingDimensions: Bool = false) throws -> Tensor<Int64> {
        let (outer, n, inner, axis) = try splitAround(axis)
        guard n > 0 else { throw WardenError.invalidInput("Cannot take the arg-max of an empty dimension in \(shape)") }
        var outShape = shape
        outShape[axis] = 1
        let source = contiguous()
        let result = try Tensor<Int64>.build(shape: outShape) { out in
            ReductionKernels.argExtreme(largest: true, outer: outer, n: n, inner: inner, x: source.pointer, out: out.baseAddress!)
        }
        return keepingDimensions ? result : try result.squeezed(axes: [axis])
    }

    /// `(outer, n, inner, axis)` for an axis of a row-major tensor.
    package func splitAround(_ axis: Int) throws -> (Int, Int, Int, Int) {
        let axis = try Self.normalizedAxis(axis, rank: rank)
        return (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *), axis)
    }

    /// Softmax along `axis` (ONNX opset ≥ 13 semantics), max-subtracted for stability.
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func softmax(axis: Int = -1) throws -> Tensor {
        try softmax(axis: axis, log: false)
    }

    /// Log-softmax along `axis`.
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try softmax(axis: axis, log: true)
    }

    func softmax(axis: Int, log: Bool) throws -> Tensor {
        let (outer, n, inner, _) = try splitAround(axis)
        let source = contiguous()
        return try Tensor.build(shape: shape) { out in
            ReductionKernels.softmax(log: log, outer: outer, n: n, inner: inner, x: source.pointer, out: out.baseAddress!)
        }
    }
}
