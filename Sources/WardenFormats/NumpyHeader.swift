import WardenCore

/// The header of a NumPy `.npy` file (format versions 1–3): dtype, order and shape, read from the
/// Python dict literal NumPy writes, without evaluating anything.
public struct NumpyHeader: Sendable, Equatable {
    /// `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
    /// NumPy refuses headers longer than this by default; so does Warden.
    public static let maxHeaderLength = 1 << 20

    public var version: (major: UInt8, minor: UInt8)
    /// The dtype description: a type string (`<f4`) or, for structured dtypes, the literal's text.
    public var descr: String
    /// Whether any field of the dtype is a Python object (the data is then a pickle).
    public var hasObjects: Bool
    public var fortranOrder: Bool
    public var shape: [Int64]
    /// Bytes per item, when the dtype is a plain type string.
    public var itemSize: Int64?
    /// Where the array data (or the object array's pickle) starts.
    public var dataOffset: Int64

    public static func == (lhs: NumpyHeader, rhs: NumpyHeader) -> Bool {
        lhs.version == rhs.version && lhs.descr == rhs.descr && lhs.hasObjects == rhs.hasObjects
            && lhs.fortranOrder == rhs.fortranOrder && lhs.shape == rhs.shape && lhs.dataOffset == rhs.dataOffset
    }

    /// The data size the header implies, when the item size is known.
    public var dataSize: Int64? {
        guard let itemSize else { return nil }
        var total = itemSize
        for dim in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// Reads the header at the start of `source`.
    /// - Throws: ``WardenError`` (`invalidInput`) naming what is wrong.
    public init(source: any ByteSource) throws(WardenError) {
        let fixed = try source.read(0..<12)
        guard fixed.count >= 10, fixed.starts(with: Self.magic) else { throw .invalidInput("'\(source.name)' is not a .npy file") }
        let major = fixed[6], minor = fixed[7]
        let length: Int
        let start: Int64
        switch major {
        case 1:
            length = Int(fixed.le(8, 2))
            start = 10
        case 2, 3:
            guard fixed.count >= 12 else { throw .invalidInput("'\(source.name)': truncated .npy header") }
            length = Int(fixed.le(8, 4))
            start = 12
        default:
            throw .invalidInput("'\(source.name)': unknown .npy format version \(major).\(minor)")
        }
        guard length <= Self.maxHeaderLength else {
            throw .invalidInput("'\(source.name)': the .npy header claims \(length) bytes, more than \(Self.maxHeaderLength)")
        }
        let bytes = try source.read(start..<start + Int64(length))
        guard bytes.count == length else { throw .invalidInput("'\(source.name)': the .npy header is truncated") }
        let text = String(decoding: bytes, as: UTF8.self)
        var parser = PythonLiteral.Parser(text: text)
        let value: PythonLiteral
        do {
            value = try parser.parse()
        } catch {
            throw .invalidInput("'\(source.name)': the .npy header is not a Python literal: \(error.message)")
        }
        guard case .dict(let entries) = value else { throw .invalidInput("'\(source.name)': the .npy header is not a dict") }
        func entry(_ key: String) -> PythonLiteral? { entries.first { $0.0 == .string(key) }?.1 }
        guard let descr = entry("descr"), case .bool(let fortran)? = entry("fortran_order"), case .tuple(let dims)? = entry("shape") else {
            throw .invalidInput("'\(source.name)': the .npy header lacks descr, fortran_order or shape")
        }
        var shape: [Int64] = []
        for dim in dims {
            guard case .int(let value) = dim, value >= 0 else { throw .invalidInput("'\(source.name)': the .npy shape holds a non-integer or negative dimension") }
            shape.append(value)
        }
        self.version = (major, minor)
        self.fortranOrder = fortran
        self.shape = shape
        self.dataOffset = start + Int64(length)
        switch descr {
        case .string(let type):
            self.descr = type
            self.hasObjects = type.trimmingPrefix(in: "<>|=").first == "O"
            self.itemSize = Self.itemSize(of: type)
        default:
            self.descr = text
            self.hasObjects = Self.structuredHasObjects(descr, depth: 0)
            self.itemSize = nil
        }
    }

    /// Whether a structured dtype (`[('name', type[, shape]), …]`, types possibly nested) has an object field.
    static func structuredHasObjects(_ descr: PythonLiteral, depth: Int) -> Bool {
        guard depth < 16, case .list(let fields) = descr else { return false }
        for field in fields {
            guard case .tuple(let parts) = field, parts.count >= 2 else { continue }
            switch parts[1] {
            case .string(let type): if type.trimmingPrefix(in: "<>|=").first == "O" { return true }
            case .list: if structuredHasObjects(parts[1], depth: depth + 1) { return true }
            default: continue
            }
        }
        return false
    }

    /// Bytes per item of a NumPy type string such as `<f8`, `|b1`, `<U10` (nil when unknown).
    public static func itemSize(of type: String) -> Int64? {
        let spec = type.trimmingPrefix(in: "<>|=")
        guard let kind = spec.first else { return nil }
        let digits = Int64(spec.dropFirst().prefix { $0.isNumber }) ?? 0
        switch kind {
        case "O": return 8
        case "?": return 1
        case "U": return digits * 4
        case "b", "i", "u", "f", "c", "S", "a", "V": return digits > 0 ? digits : nil
        case "m", "M": return 8
        default: return nil
        }
    }
}

extension String {
    /// The string without leading characters from `set`.
    func trimmingPrefix(in set: String) -> Substring {
        self[...].drop { set.contains($0) }
    }
}
