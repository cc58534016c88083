import WardenCore

/// Raw little-endian element bytes, as ONNX `raw_data`, NumPy `.npy` and safetensors store them.
extension Tensor {
    /// A tensor from its elements' little-endian bytes in row-major order (`Bool`: one byte each,
    /// non-zero is `true`).
    /// - Throws: `.invalidInput` when the byte count does not match the shape.
    public init(shape: [Int], littleEndianBytes bytes: some Collection<UInt8>) throws {
        let count = try Self.elementCount(of: shape)
        let width = MemoryLayout<Element>.size
        guard bytes.count == count * width else {
            throw WardenError.invalidInput("Shape \(shape) of \(Element.dataType) needs \(count * width) bytes, got \(bytes.count)")
        }
        self = Tensor.uninitialized(shape: shape, count: count)
        let destination = UnsafeMutableRawPointer(storage.base)
        if Element.self == Bool.self {
            for (i, byte) in bytes.enumerated() { destination.storeBytes(of: byte != 0, toByteOffset: i, as: Bool.self) }
            return
        }
        let copied: Void? = bytes.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress { destination.copyMemory(from: base, byteCount: source.count) }
        }
        if copied == nil {
            for (i, byte) in bytes.enumerated() { destination.storeBytes(of: byte, toByteOffset: i, as: UInt8.self) }
        }
        #if _endian(big)
        for i in 0..<count { Self.reverseBytes(destination + i * width, width) }
        #endif
    }

    /// The elements' little-endian bytes in row-major order (`Bool`: 0 or 1).
    public var littleEndianBytes: [UInt8] {
        let dense = contiguous()
        let width = MemoryLayout<Element>.size
        var bytes = [UInt8](repeating: 0, count: count * width)
        bytes.withUnsafeMutableBytes { out in
            guard let base = out.baseAddress, !out.isEmpty else { return }
            base.copyMemory(from: UnsafeRawPointer(dense.pointer), byteCount: out.count)
            #if _endian(big)
            for i in 0..<count { Self.reverseBytes(base + i * width, width) }
            #endif
        }
        return bytes
    }

    static func reverseBytes(_ pointer: UnsafeMutableRawPointer, _ width: Int) {
        var low = 0
        var high = width - 1
        while low < high {
            let a = pointer.load(fromByteOffset: low, as: UInt8.self)
            pointer.storeBytes(of: pointer.load(fromByteOffset: high, as: UInt8.self), toByteOffset: low, as: UInt8.self)
            pointer.storeBytes(of: a, toByteOffset: high, as: UInt8.self)
            low += 1
            high -= 1
        }
    }
}
