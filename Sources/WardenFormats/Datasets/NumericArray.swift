import WardenCore

/// A dense n-dimensional numeric array read from a dataset file (.npy, .npz member, IDX): its shape
/// and its elements, kept in the file's element type until converted.
public struct NumericArray: Sendable {
    /// The element types Warden reads from array files.
    public enum ElementType: String, Sendable, CaseIterable {
        case float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .int8, .uint8, .bool: 1
            case .int16, .uint16: 2
            case .float32, .int32, .uint32: 4
            case .float64, .int64, .uint64: 8
            }
        }

        var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    }

    /// The most elements an array may have (2³¹, as for tensors).
    public static let maximumElementCount = 1 << 31

    public let shape: [Int]
    public let elementType: ElementType
    /// Row-major element bytes in little-endian order.
    let bytes: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    /// An array from row-major elements in the given byte order.
    /// - Throws: `.invalidInput` when the byte count does not match the shape.
    package init(shape: [Int], elementType: ElementType, bytes: [UInt8], bigEndian: Bool = false, source: String) throws(WardenError) {
        let count = try Self.elementCount(shape, source: source)
        guard bytes.count == count * elementType.size else {
            throw .invalidInput("'\(source)': shape \(shape) of \(elementType) needs \(count * elementType.size) bytes, the file holds \(bytes.count)")
        }
        self.shape = shape
        self.elementType = elementType
        if bigEndian && elementType.size > 1 {
            var swapped = bytes
            let size = elementType.size
            for start in stride(from: 0, to: swapped.count, by: size) { swapped[start..<start + size].reverse() }
            self.bytes = swapped
        } else {
            self.bytes = bytes
        }
    }

    /// The element count of a shape, refusing negative sizes and more than ``maximumElementCount``.
    package static func elementCount(_ shape: [Int], source: String) throws(WardenError) -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else { throw .invalidInput("'\(source)': negative dimension in shape \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElementCount else {
                throw .invalidInput("'\(source)': shape \(shape) has more than \(maximumElementCount) elements")
            }
            count = product
        }
        return count
    }

    /// The elements as `Double`s, row-major.
    public func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in
            let n = count
            switch elementType {
            case .float32: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
            case .float64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
            case .int8: return (0..<n).map { Double(Int8(bitPattern: raw[$0])) }
            case .uint8: return (0..<n).map { Double(raw[$0]) }
            case .bool: return (0..<n).map { raw[$0] != 0 ? 1 : 0 }
            case .int16: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
            case .uint16: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            case .int32: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            case .uint32: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
            case .int64: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .uint64: return (0..<n).map { Double(raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
            }
        }
    }

    /// The elements as `Float`s, row-major.
    public func floats() -> [Float] {
        if elementType == .float32 {
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
        return doubles().map { Float($0) }
    }

    /// The elements as `Int64`s, row-major.
    /// - Throws: `.invalidInput` when a floating-point element is not a whole number, or a uint64 does not fit.
    public func int64s() throws(WardenError) -> [Int64] {
        switch elementType {
        case .int64:
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) } }
        case .uint64:
            var out: [Int64] = []
            out.reserveCapacity(count)
            for value in bytes.withUnsafeBytes({ raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }) {
                guard let small = Int64(exactly: value) else { throw .invalidInput("The value \(value) does not fit an int64") }
                out.append(small)
            }
            return out
        default:
            var out: [Int64] = []
            out.reserveCapacity(count)
            for value in doubles() {
                guard let whole = Int64(exactly: value) else { throw .invalidInput("The value \(value) is not a whole number") }
                out.append(whole)
            }
            return out
        }
    }

    /// A float32 array (for writing).
    public init(shape: [Int], floats: [Float]) throws(WardenError) {
        let bytes = floats.withUnsafeBytes { Array($0) }
        try self.init(shape: shape, elementType: .float32, bytes: bytes, source: "array")
    }

    /// An int64 array (for writing).
    public init(shape: [Int], int64s: [Int64]) throws(WardenError) {
        let bytes = int64s.withUnsafeBytes { Array($0) }
        try self.init(shape: shape, elementType: .int64, bytes: bytes, source: "array")
    }
}
