import WardenCore

/// An n-dimensional array with value semantics: views (reshape, transpose, slice, broadcast) share the
/// storage without copying, and every operation returns a new tensor.
///
/// Shapes are row-major (`[batch, channels, height, width]` for images, as in ONNX). Operations whose
/// inputs can disagree (shapes, axes, indices) throw ``WardenCore/WardenError`` with
/// `.invalidInput`, naming the shapes; they never trap on bad input.
public struct Tensor<Element: TensorElement>: Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The distance, in elements, between neighbours along each dimension (0 for broadcast dimensions).
    public let strides: [Int]
    let offset: Int
    let storage: TensorStorage<Element>

    /// The largest element count a tensor may have (2³¹), so a hostile shape cannot exhaust memory.
    public static var maximumElementCount: Int { 1 << 31 }

    init(storage: TensorStorage<Element>, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A tensor of the given shape from its elements in row-major order.
    /// - Throws: `.invalidInput` when the count does not match the shape or the shape is invalid.
    public init(shape: [Int], scalars: [Element]) throws {
        let count = try Self.elementCount(of: shape)
        guard count == scalars.count else {
            throw WardenError.invalidInput("Shape \(shape) needs \(count) elements, got \(scalars.count)")
        }
        self = Tensor.uninitialized(shape: shape, count: count)
        scalars.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor of the given shape with every element set to `value`.
    /// - Throws: `.invalidInput` for a negative or too-large shape.
    public init(shape: [Int], repeating value: Element) throws {
        let count = try Self.elementCount(of: shape)
        self = Tensor.uninitialized(shape: shape, count: count)
        storage.base.update(repeating: value, count: count)
    }

    /// A tensor of zeros (`false` for `Bool`).
    /// - Throws: `.invalidInput` for a negative or too-large shape.
    public init(zeros shape: [Int]) throws {
        try self.init(shape: shape, repeating: .zero)
    }

    /// A rank-0 tensor holding one value.
    public init(_ scalar: Element) {
        self = Tensor.uninitialized(shape: [], count: 1)
        storage.base[0] = scalar
    }

    /// A rank-1 tensor.
    public init(_ vector: [Element]) {
        self = Tensor.uninitialized(shape: [vector.count], count: vector.count)
        vector.withUnsafeBufferPointer { if let base = $0.baseAddress { storage.base.update(from: base, count: vector.count) } }
    }

    /// A contiguous tensor whose elements the caller must write before anyone reads them.
    static func uninitialized(shape: [Int], count: Int) -> Tensor {
        Tensor(storage: TensorStorage(count: count), shape: shape, strides: contiguousStrides(for: shape), offset: 0)
    }

    /// A new contiguous tensor whose elements `body` writes (all of them) through the buffer.
    /// - Throws: `.invalidInput` for an invalid shape, and whatever `body` throws.
    package static func build(
        shape: [Int], _ body: (UnsafeMutableBufferPointer<Element>) throws -> Void
    ) throws -> Tensor {
        let count = try elementCount(of: shape)
        let tensor = uninitialized(shape: shape, count: count)
        try body(UnsafeMutableBufferPointer(start: tensor.storage.base, count: count))
        return tensor
    }

    /// The element count of a shape, checked for negative sizes and overflow.
    package static func elementCount(of shape: [Int]) throws -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else { throw WardenError.invalidInput("Shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElementCount else {
                throw WardenError.invalidInput("Shape \(shape) has more than \(maximumElementCount) elements")
            }
            count = product
        }
        return count
    }

    /// Row-major strides for a shape.
    package static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the elements lie in row-major order without gaps (views may not).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// This tensor if it is contiguous, otherwise a contiguous copy.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let result = Tensor.uninitialized(shape: shape, count: count)
        let destination = result.storage.base
        StridedRuns.forEach(shape: shape, strides: strides) { position, source, run, innerStride in
            let src = storage.base + offset + source
            let dst = destination + position
            if innerStride == 1 {
                dst.update(from: src, count: run)
            } else {
                for i in 0..<run { dst[i] = src[i * innerStride] }
            }
        }
        return result
    }

    /// The elements in row-major order.
    public var scalars: [Element] {
        let dense = contiguous()
        return Array(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: count))
    }

    /// The only element of a one-element tensor, or `nil`.
    public var scalar: Element? {
        count == 1 ? storage.base[offset] : nil
    }

    /// The element at a full index (one per dimension, each in range; traps otherwise, like arrays).
    public subscript(_ indices: Int...) -> Element {
        precondition(indices.count == rank, "Tensor of rank \(rank) indexed with \(indices.count) indices")
        var position = offset
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "Index \(index) out of range for dimension \(axis) of size \(shape[axis])")
            position += index * strides[axis]
        }
        return storage.base[position]
    }

    /// Calls `body` with the elements in row-major order (copying first if this is a strided view).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        let dense = contiguous()
        return try withExtendedLifetime(dense.storage) {
            try body(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: dense.count))
        }
    }

    /// Pointer to the first element of a contiguous tensor; valid while `self` lives.
    var pointer: UnsafeMutablePointer<Element> { storage.base + offset }

    /// The tensor converted element by element to another element type (Float → integer truncates
    /// toward zero; anything → Bool is `x != 0`).
    public func converted<T: TensorElement>(to type: T.Type = T.self) -> Tensor<T> {
        if let same = self as? Tensor<T> { return same }
        let dense = contiguous()
        let result = Tensor<T>.uninitialized(shape: shape, count: count)
        for i in 0..<count { result.storage.base[i] = T(convertingDouble: dense.pointer[i].doubleValue) }
        return result
    }
}

extension Tensor: Equatable {
    /// Same shape and same elements (views compare by value).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: CustomStringConvertible {
    /// The element type, the shape and up to eight leading elements.
    public var description: String {
        let head = (count <= 8 ? scalars : Array(contiguous().scalars.prefix(8))).map { "\($0)" }
        return "Tensor<\(Element.dataType)>\(shape)[\(head.joined(separator: ", "))\(count > 8 ? ", …" : "")]"
    }
}
