import WardenCore

/// Views and structural operations: reshape, transpose, slice, broadcast, squeeze, concatenate, gather.
extension Tensor {
    /// `axis` in `-rank..<rank` made non-negative.
    /// - Throws: `.invalidInput` when out of range.
    package static func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else {
            throw WardenError.invalidInput("Axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return resolved
    }

    /// The same elements in a new shape (one dimension may be `-1`, inferred). A view when the tensor
    /// is contiguous, otherwise a copy.
    /// - Throws: `.invalidInput` when the element counts differ.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else {
            throw WardenError.invalidInput("Reshape to \(newShape) has more than one -1")
        }
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.map(\.element)
            let product = try Self.elementCount(of: known)
            guard product > 0, count % product == 0 else {
                throw WardenError.invalidInput("Cannot reshape \(shape) (\(count) elements) to \(newShape)")
            }
            resolved[axis] = count / product
        }
        guard try Self.elementCount(of: resolved) == count else {
            throw WardenError.invalidInput("Cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        let dense = contiguous()
        return Tensor(storage: dense.storage, shape: resolved, strides: Self.contiguousStrides(for: resolved), offset: dense.offset)
    }

    /// The dimensions reordered: dimension `i` of the result is dimension `axes[i]` of this tensor. A view.
    /// - Throws: `.invalidInput` unless `axes` is a permutation of `0..<rank` (negative axes allowed).
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let resolved = try axes.map { try Self.normalizedAxis($0, rank: rank) }
        guard resolved.count == rank, Set(resolved).count == rank else {
            throw WardenError.invalidInput("Permutation \(axes) does not fit a tensor of rank \(rank)")
        }
        return Tensor(storage: storage, shape: resolved.map { shape[$0] }, strides: resolved.map { strides[$0] }, offset: offset)
    }

    /// The dimensions in reverse order (a matrix transpose for rank 2, ONNX `Transpose` without `perm`). A view.
    public func transposed() -> Tensor {
        Tensor(storage: storage, shape: shape.reversed(), strides: strides.reversed(), offset: offset)
    }

    /// Elements `start, start + step, …` before `end` along `axis`, ONNX `Slice` style: negative
    /// `start`/`end` count from the end, both are clamped, and `step` may be negative. A view.
    /// - Throws: `.invalidInput` for a bad axis or a zero step.
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
        let axis = try Self.normalizedAxis(axis, rank: rank)
        guard step != 0 else { throw WardenError.invalidInput("Slice step must not be 0") }
        let size = shape[axis]
        func clamp(_ value: Int, low: Int, high: Int) -> Int { Swift.min(Swift.max(value, low), high) }
        var first = start < 0 ? start + size : start
        var last = end < 0 ? end + size : end
        let length: Int
        if step > 0 {
            first = clamp(first, low: 0, high: size)
            last = clamp(last, low: 0, high: size)
            length = last > first ? (last - first + step - 1) / step : 0
        } else {
            first = clamp(first, low: 0, high: size - 1)
            last = clamp(last, low: -1, high: size - 1)
            length = first > last ? (first - last - step - 1) / -step : 0
        }
        var newShape = shape
        var newStrides = strides
        newShape[axis] = length
        newStrides[axis] = strides[axis] * step
        let newOffset = length > 0 ? offset + first * strides[axis] : offset
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: newOffset)
    }

    /// The shape two shapes broadcast to (NumPy/ONNX multidirectional broadcasting).
    /// - Throws: `.invalidInput` when a pair of dimensions differs and neither is 1.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else {
                throw WardenError.invalidInput("Shapes \(a) and \(b) cannot be broadcast together")
            }
            result[i] = x == 1 ? y : x
        }
        return result
    }

    /// This tensor repeated (with stride 0, no copy) to a shape it broadcasts to.
    /// - Throws: `.invalidInput` when it does not broadcast to `target`.
    public func broadcast(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        guard target.count >= rank else {
            throw WardenError.invalidInput("Cannot broadcast shape \(shape) to \(target)")
        }
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank {
            let size = shape[axis]
            guard size == target[lead + axis] || size == 1 else {
                throw WardenError.invalidInput("Cannot broadcast shape \(shape) to \(target)")
            }
            newStrides[lead + axis] = size == 1 && target[lead + axis] != 1 ? 0 : strides[axis]
        }
        _ = try Self.elementCount(of: target)
        return Tensor(storage: storage, shape: target, strides: newStrides, offset: offset)
    }

    /// The tensor without the given size-1 dimensions (all size-1 dimensions when `axes` is `nil`). A view.
    /// - Throws: `.invalidInput` when a named dimension is not of size 1.
    public func squeezed(axes: [Int]? = nil) throws -> Tensor {
        let drop: Set<Int>
        if let axes {
            drop = Set(try axes.map { try Self.normalizedAxis($0, rank: rank) })
            for axis in drop where shape[axis] != 1 {
                throw WardenError.invalidInput("Cannot squeeze dimension \(axis) of size \(shape[axis]) in \(shape)")
            }
        } else {
            drop = Set(shape.indices.filter { shape[$0] == 1 })
        }
        let keep = shape.indices.filter { !drop.contains($0) }
        return Tensor(storage: storage, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// The tensor with size-1 dimensions inserted at `axes` (positions in the result, ONNX `Unsqueeze`). A view.
    /// - Throws: `.invalidInput` for out-of-range or repeated axes.
    public func unsqueezed(axes: [Int]) throws -> Tensor {
        let newRank = rank + axes.count
        let inserted = Set(try axes.map { try Self.normalizedAxis($0, rank: newRank) })
        guard inserted.count == axes.count else {
            throw WardenError.invalidInput("Unsqueeze axes \(axes) repeat a dimension")
        }
        var newShape: [Int] = []
        var newStrides: [Int] = []
        var source = 0
        for axis in 0..<newRank {
            if inserted.contains(axis) {
                newShape.append(1)
                newStrides.append(source < rank ? strides[source] * shape[source] : 1)
            } else {
                newShape.append(shape[source])
                newStrides.append(strides[source])
                source += 1
            }
        }
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// A matrix `[d0·…·d(axis−1), d(axis)·…·d(rank−1)]` (ONNX `Flatten`; `axis` may be `0…rank` or negative).
    /// - Throws: `.invalidInput` for an out-of-range axis.
    public func flattened(axis: Int = 1) throws -> Tensor {
        try reshaped(to: Self.flattenedShape(shape, axis: axis))
    }

    /// The shape ``flattened(axis:)`` gives a tensor of shape `shape`.
    /// - Throws: `.invalidInput` when `axis` is out of range.
    package static func flattenedShape(_ shape: [Int], axis: Int) throws -> [Int] {
        let rank = shape.count
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved <= rank else {
            throw WardenError.invalidInput("Flatten axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return [shape[..<resolved].reduce(1, *), shape[resolved...].reduce(1, *)]
    }

    /// The tensors joined along `axis`; every other dimension must agree.
    /// - Throws: `.invalidInput` for an empty list, mismatched ranks or dimensions.
    public static func concatenated(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw WardenError.invalidInput("Concatenation needs at least one tensor") }
        let axis = try normalizedAxis(axis, rank: first.rank)
        var total = 0
        for tensor in tensors {
            guard tensor.rank == first.rank,
                tensor.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] })
            else {
                throw WardenError.invalidInput("Cannot concatenate shapes \(first.shape) and \(tensor.shape) along axis \(axis)")
            }
            total += tensor.shape[axis]
        }
        var shape = first.shape
        shape[axis] = total
        let result = try build(shape: shape) { _ in }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var start = 0
        for tensor in tensors {
            let part = tensor.contiguous()
            let width = tensor.shape[axis] * inner
            for o in 0..<outer where width > 0 {
                (result.pointer + o * total * inner + start).update(from: part.pointer + o * width, count: width)
            }
            start += width
        }
        return result
    }

    /// Entries along `axis` picked by `indices` (ONNX `Gather`): the result's shape is
    /// `shape[..<axis] + indices.shape + shape[(axis+1)...]`; negative indices count from the end.
    /// - Throws: `.invalidInput` for a bad axis or an index out of range.
    public func gathered(indices: Tensor<Int64>, axis: Int = 0) throws -> Tensor {
        let axis = try Self.normalizedAxis(axis, rank: rank)
        let size = shape[axis]
        let picks = try indices.scalars.map { raw -> Int in
            let index = raw < 0 ? Int(raw) + size : Int(raw)
            guard index >= 0, index < size else {
                throw WardenError.invalidInput("Gather index \(raw) is out of range for dimension \(axis) of size \(size)")
            }
            return index
        }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let dense = contiguous()
        let resultShape = Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...])
        return try Tensor.build(shape: resultShape) { out in
            var position = 0
            for o in 0..<outer {
                for index in picks {
                    if inner > 0 { (out.baseAddress! + position).update(from: dense.pointer + (o * size + index) * inner, count: inner) }
                    position += inner
                }
            }
        }
    }
}
