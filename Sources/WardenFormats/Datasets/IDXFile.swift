import WardenCore

/// The IDX format of the MNIST files: two zero bytes, an element type code, the rank, big-endian
/// 32-bit dimensions, then big-endian elements. Gzipped files (`train-images-idx3-ubyte.gz`) are
/// decompressed on the way in.
public enum IDXFile {
    /// Reads an IDX file (or a gzipped one).
    /// - Throws: `.invalidInput` for a bad magic number, an unknown type code, or data that does not
    ///   match the dimensions; `.io` when the file cannot be read.
    public static func read(path: String, limit: Int = 8 << 30) throws -> NumericArray {
        let file = try FileSource(path: path)
        let head = try file.read(0..<4)
        let source: any ByteSource
        if Decompressor.Codec.detect(head) == .gzip {
            source = MemorySource(name: path, bytes: try Decompressor.decompress(.gzip, from: file, limit: limit))
        } else {
            source = file
        }
        return try read(source)
    }

    /// Reads IDX bytes from a source.
    /// - Throws: as ``read(path:limit:)``.
    public static func read(_ source: any ByteSource) throws(WardenError) -> NumericArray {
        let magic = try source.read(0..<4)
        guard magic.count == 4, magic[0] == 0, magic[1] == 0 else {
            throw .invalidInput("'\(source.name)' is not an IDX file (it must start with two zero bytes)")
        }
        let types: [UInt8: NumericArray.ElementType] = [0x08: .uint8, 0x09: .int8, 0x0B: .int16, 0x0C: .int32, 0x0D: .float32, 0x0E: .float64]
        guard let type = types[magic[2]] else {
            throw .invalidInput("'\(source.name)': IDX element type 0x\(String(magic[2], radix: 16)) is not one of 08, 09, 0B, 0C, 0D, 0E")
        }
        let rank = Int(magic[3])
        guard rank > 0 else { throw .invalidInput("'\(source.name)': an IDX file of rank 0") }
        let dims = try source.read(4..<Int64(4 + 4 * rank))
        guard dims.count == 4 * rank else { throw .invalidInput("'\(source.name)': the IDX header is truncated") }
        let shape = (0..<rank).map { i in (0..<4).reduce(0) { $0 << 8 | Int(dims[4 * i + $1]) } }
        let count = try NumericArray.elementCount(shape, source: source.name)
        let start = Int64(4 + 4 * rank)
        let size = Int64(count * type.size)
        guard source.count - start == size else {
            throw .invalidInput("'\(source.name)': IDX shape \(shape) of \(type) needs \(size) bytes of data, the file has \(source.count - start)")
        }
        return try NumericArray(shape: shape, elementType: type, bytes: try source.read(start..<start + size), bigEndian: true, source: source.name)
    }
}
