import WardenCore

/// NumPy `.npy` arrays and `.npz` archives of them: plain numeric dtypes in either byte order and
/// either memory order. Object arrays are refused (their data is a pickle).
public enum NumpyArrayFile {
    /// Reads a `.npy` from a source.
    /// - Throws: `.invalidInput` for a malformed header, an unsupported or object dtype, or data that
    ///   does not match the shape.
    public static func read(_ source: any ByteSource) throws(WardenError) -> NumericArray {
        let header = try NumpyHeader(source: source)
        guard !header.hasObjects else {
            throw .unsupported("'\(source.name)' is an object array (its data is a pickle); Warden reads numeric arrays only")
        }
        let descr = header.descr
        let order = descr.first
        let spec = descr.trimmingPrefix(in: "<>|=")
        let types: [String: NumericArray.ElementType] = [
            "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64, "u1": .uint8,
            "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool, "?": .bool,
        ]
        guard let type = types[String(spec)] else {
            throw .unsupported("'\(source.name)' has dtype '\(descr)'; Warden reads float32/64, (u)int8–64 and bool")
        }
        var shape: [Int] = []
        for dim in header.shape {
            guard let size = Int(exactly: dim) else { throw .invalidInput("'\(source.name)': dimension \(dim) is too large") }
            shape.append(size)
        }
        let count = try NumericArray.elementCount(shape, source: source.name)
        let size = Int64(count * type.size)
        guard source.count - header.dataOffset >= size else {
            throw .invalidInput("'\(source.name)': shape \(shape) of \(descr) needs \(size) bytes of data, the file has \(source.count - header.dataOffset)")
        }
        let bytes = try source.read(header.dataOffset..<header.dataOffset + size)
        let array = try NumericArray(shape: shape, elementType: type, bytes: bytes, bigEndian: order == ">", source: source.name)
        return header.fortranOrder && shape.count > 1 ? try array.fromColumnMajor() : array
    }

    /// Reads a `.npy` file.
    /// - Throws: as ``read(_:)``, and `.io` when the file cannot be opened.
    public static func read(path: String) throws(WardenError) -> NumericArray {
        try read(FileSource(path: path))
    }

    /// Reads every array of a `.npz` archive (compressed or not), by name without `.npy`.
    /// - Parameters:
    ///   - limit: the most decompressed bytes per member.
    /// - Throws: as ``read(_:)``; `.invalidInput` for a corrupt archive or a member that is not `.npy`.
    public static func readArchive(path: String, limit: Int = 8 << 30) throws -> [String: NumericArray] {
        let archive = try ZipArchive(source: try FileSource(path: path))
        var arrays: [String: NumericArray] = [:]
        for entry in archive.entries where !entry.isDirectory {
            guard entry.name.hasSuffix(".npy") else {
                throw WardenError.invalidInput("'\(path)': member '\(entry.name)' is not a .npy array")
            }
            let name = String(entry.name.dropLast(4))
            let member = "\(path):\(entry.name)"
            if let stored = try archive.storedSource(entry, name: member) {
                arrays[name] = try read(stored)
            } else {
                arrays[name] = try read(MemorySource(name: member, bytes: try archive.read(entry, limit: limit)))
            }
        }
        return arrays
    }

    /// The `.npy` bytes (format 1.0, little-endian, C order) of an array.
    public static func encode(_ array: NumericArray) -> [UInt8] {
        let descr: String = switch array.elementType {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .uint16: "<u2"
        case .uint32: "<u4"
        case .uint64: "<u8"
        case .bool: "|b1"
        }
        let dims = array.shape.map(String.init).joined(separator: ", ") + (array.shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad with spaces so the data starts on a 64-byte boundary, ending with a newline.
        let unpadded = NumpyHeader.magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(header.utf8.count)
        return NumpyHeader.magic + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8) + array.bytes
    }
}

extension NumericArray {
    /// The same array with its elements reordered from column-major (Fortran) to row-major.
    func fromColumnMajor() throws(WardenError) -> NumericArray {
        let size = elementType.size
        var out = [UInt8](repeating: 0, count: bytes.count)
        let rank = shape.count
        var columnStrides = [Int](repeating: 1, count: rank)
        for axis in 1..<rank { columnStrides[axis] = columnStrides[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: rank)
        for position in 0..<count {
            var source = 0
            for axis in 0..<rank { source += index[axis] * columnStrides[axis] }
            for b in 0..<size { out[position * size + b] = bytes[source * size + b] }
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return try NumericArray(shape: shape, elementType: elementType, bytes: out, source: "array")
    }
}
