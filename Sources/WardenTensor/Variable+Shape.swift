import WardenCore

/// Differentiable views and structural operations.
extension Variable {
    /// See ``Tensor/reshaped(to:)``.
    /// - Throws: `.invalidInput` when the element counts differ.
    public func reshaped(to shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.record(try value.reshaped(to: shape), [self]) { g in [try g.reshaped(to: original)] }
    }

    /// See ``Tensor/permuted(_:)``.
    /// - Throws: `.invalidInput` unless `axes` is a permutation.
    public func permuted(_ axes: [Int]) throws -> Variable {
        let result = try value.permuted(axes)
        let resolved = try axes.map { try Tensor<Float>.normalizedAxis($0, rank: value.rank) }
        var inverse = [Int](repeating: 0, count: resolved.count)
        for (position, axis) in resolved.enumerated() { inverse[axis] = position }
        return Variable.record(result, [self]) { g in [try g.permuted(inverse).contiguous()] }
    }

    /// See ``Tensor/transposed()``.
    public func transposed() -> Variable {
        Variable.record(value.transposed(), [self]) { g in [g.transposed().contiguous()] }
    }

    /// See ``Tensor/flattened(axis:)``.
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func flattened(axis: Int = 1) throws -> Variable {
        try reshaped(to: try value.flattened(axis: axis).shape)
    }

    /// See ``Tensor/squeezed(axes:)``.
    /// - Throws: `.invalidInput` when a named dimension is not of size 1.
    public func squeezed(axes: [Int]? = nil) throws -> Variable {
        try reshaped(to: try value.squeezed(axes: axes).shape)
    }

    /// See ``Tensor/unsqueezed(axes:)``.
    /// - Throws: `.invalidInput` for bad axes.
    public func unsqueezed(axes: [Int]) throws -> Variable {
        try reshaped(to: try value.unsqueezed(axes: axes).shape)
    }

    /// See ``Tensor/broadcast(to:)``; the gradient sums over the repeated dimensions.
    /// - Throws: `.invalidInput` when the shape does not broadcast.
    public func broadcast(to shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.record(try value.broadcast(to: shape).contiguous(), [self]) { g in [try g.unbroadcast(to: original)] }
    }

    /// See ``Tensor/sliced(axis:start:end:step:)``; the gradient is zero outside the slice.
    /// - Throws: `.invalidInput` for a bad axis or step.
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> Variable {
        let original = self.shape
        let result = try value.sliced(axis: axis, start: start, end: end, step: step).contiguous()
        return Variable.record(result, [self]) { g in
            let gradient = try Tensor<Float>(zeros: original)
            // Write g through the same slice view of a fresh zero tensor.
            let view = try gradient.sliced(axis: axis, start: start, end: end, step: step)
            StridedRuns.forEach(shape: view.shape, strides: view.strides) { position, offset, run, stride in
                for i in 0..<run { view.pointer[offset + i * stride] = g.pointer[position + i] }
            }
            return [gradient]
        }
    }

    /// See ``Tensor/concatenated(_:axis:)``; each input gets its part of the gradient.
    /// - Throws: `.invalidInput` for mismatched shapes.
    public static func concatenated(_ variables: [Variable], axis: Int) throws -> Variable {
        let value = try Tensor.concatenated(variables.map(\.value), axis: axis)
        let resolved = try Tensor<Float>.normalizedAxis(axis, rank: value.rank)
        let sizes = variables.map { $0.shape[resolved] }
        return record(value, variables) { g in
            var start = 0
            return try zip(variables, sizes).map { variable, size in
                defer { start += size }
                guard variable.requiresGradient else { return nil }
                return try g.sliced(axis: resolved, start: start, end: start + size).contiguous()
            }
        }
    }

    /// See ``Tensor/gathered(indices:axis:)``; the gradient scatter-adds into the picked entries.
    /// - Throws: `.invalidInput` for a bad axis or index.
    public func gathered(indices: Tensor<Int64>, axis: Int = 0) throws -> Variable {
        let result = try value.gathered(indices: indices, axis: axis)
        let (outer, size, inner, _) = try value.splitAround(axis)
        let picks = indices.scalars.map { Int($0 < 0 ? $0 + Int64(size) : $0) }
        let original = shape
        return Variable.record(result, [self]) { g in
            let gradient = try Tensor<Float>(zeros: original)
            let dense = g.contiguous()
            var position = 0
            for o in 0..<outer {
                for index in picks {
                    let target = gradient.pointer + (o * size + index) * inner
                    for i in 0..<inner { target[i] += dense.pointer[position + i] }
                    position += inner
                }
            }
            return [gradient]
        }
    }
}
