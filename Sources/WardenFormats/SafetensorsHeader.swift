import WardenCore

/// A safetensors file's header, checked the way a strict loader should: size, JSON, dtypes,
/// shapes × dtype sizes, offsets in range, sorted without overlap, covering the data exactly.
/// The tensor data itself is never read.
public struct SafetensorsHeader: Sendable {
    /// The largest header accepted (the reference implementation refuses more than 100 MB).
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// Bytes per element of each dtype.
    public static let dtypeSizes: [String: Int64] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8, "C64": 8,
    ]

    public var headerLength: UInt64
    public var tensors: [(name: String, dtype: String, shape: [Int64], begin: Int64, end: Int64)] = []
    public var metadata: [(String, String)] = []
    /// What is wrong, one sentence each; empty for a valid file.
    public var problems: [String] = []

    /// Whether the first bytes look like safetensors (an 8-byte length, then `{`).
    public static func looksLikeSafetensors(_ head: [UInt8]) -> Bool {
        head.count >= 9 && head[8] == 0x7b && head.le(0, 8) >= 2
    }

    /// Reads and checks the header.
    /// - Throws: ``WardenError`` only when the source cannot be read; problems are collected.
    public init(source: any ByteSource) throws(WardenError) {
        let head = try source.read(0..<8)
        guard head.count == 8 else {
            headerLength = 0
            problems.append("the file is shorter than the 8-byte header length")
            return
        }
        headerLength = head.le(0, 8)
        guard headerLength <= Self.maxHeaderLength else {
            problems.append("the header claims \(headerLength) bytes (more than the \(Self.maxHeaderLength)-byte maximum)")
            return
        }
        guard 8 + Int64(headerLength) <= source.count else {
            problems.append("the header claims \(headerLength) bytes but the file has \(source.count - 8) after the length")
            return
        }
        let bytes = try source.read(8..<8 + Int64(headerLength))
        let json: JSONValue
        do {
            json = try JSONParser(maxDepth: 16, maxBytes: Int(Self.maxHeaderLength)).parse(bytes, source: source.name)
        } catch {
            problems.append("the header is not JSON: \(error.message)")
            return
        }
        guard case .object(let members) = json else {
            problems.append("the header is not a JSON object")
            return
        }
        let dataLength = source.count - 8 - Int64(headerLength)
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let entries) = value else { problems.append("__metadata__ is not an object"); continue }
                for (key, item) in entries {
                    guard let text = item.stringValue else { problems.append("__metadata__ '\(key)' is not a string"); continue }
                    metadata.append((key, text))
                }
                continue
            }
            guard let dtype = value["dtype"]?.stringValue, let shapeValues = value["shape"]?.arrayValue,
                let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
                let begin = offsets[0].intValue, let end = offsets[1].intValue
            else {
                problems.append("tensor '\(name)' lacks a dtype, shape or two data_offsets")
                continue
            }
            var shape: [Int64] = []
            var elements: Int64 = 1
            var overflow = false
            for dim in shapeValues {
                guard let size = dim.intValue, size >= 0 else { problems.append("tensor '\(name)' has a negative or non-integer dimension"); overflow = true; break }
                shape.append(size)
                let (product, over) = elements.multipliedReportingOverflow(by: size)
                if over { overflow = true } else { elements = product }
            }
            guard let size = Self.dtypeSizes[dtype] else {
                problems.append("tensor '\(name)' has the unknown dtype '\(dtype)'")
                continue
            }
            if overflow { problems.append("tensor '\(name)' has a shape whose size overflows"); continue }
            guard begin >= 0, begin <= end, end <= dataLength else {
                problems.append("tensor '\(name)' has data_offsets [\(begin), \(end)] outside the \(dataLength)-byte data")
                continue
            }
            let (bytes, over) = elements.multipliedReportingOverflow(by: size)
            if over || bytes != end - begin {
                problems.append("tensor '\(name)' has \(end - begin) bytes but shape [\(shape.map(String.init).concatenated(separator: ", "))] × \(dtype) needs \(over ? "more than Int64" : String(bytes))")
            }
            tensors.append((name, dtype, shape, begin, end))
        }
        let ordered = tensors.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered: Int64 = 0
        for tensor in ordered {
            if tensor.begin < covered {
                problems.append("tensor '\(tensor.name)' overlaps the tensor before it")
            } else if tensor.begin > covered {
                problems.append("\(tensor.begin - covered) bytes before tensor '\(tensor.name)' belong to no tensor")
            }
            covered = max(covered, tensor.end)
        }
        if covered < dataLength && problems.isEmpty {
            problems.append("\(dataLength - covered) bytes after the last tensor belong to no tensor")
        }
    }
}
