import WardenCore

/// One decoded pickle instruction.
public struct PickleOp: Sendable, Equatable {
    /// The argument an opcode carries in the stream.
    public enum Argument: Sendable, Equatable {
        case none
        case int(Int64)
        /// An integer too long for 64 bits (LONG1/LONG4/LONG text): only its byte length is kept.
        case bigInt(Int)
        case float(Double)
        case string(String)
        /// Bytes; `value` is nil when longer than ``PickleReader/maxKeptBytes`` (skipped, not copied).
        case bytes(count: Int64, value: [UInt8]?)
        /// GLOBAL and INST: module and name.
        case global(module: String, name: String)
    }

    public var opcode: UInt8
    public var argument: Argument
    /// Offset of the opcode byte in the source.
    public var offset: Int64

    /// The opcode's name as in Python's `pickletools` (e.g. `STACK_GLOBAL`).
    public var name: String { PickleOp.name(of: opcode) }

    /// The name of an opcode byte (`0x..` for bytes that are no opcode).
    public static func name(of opcode: UInt8) -> String {
        PickleReader.names[opcode] ?? "0x" + String(opcode, radix: 16)
    }
}

/// Decodes pickle instructions (protocols 0–5) from a byte source without executing anything and
/// without reading more than it needs: large byte strings are skipped, not copied, and a caller can
/// skip raw data between instructions (joblib arrays). Hostile lengths throw instead of allocating.
public struct PickleReader {
    /// Byte strings up to this size are kept (to analyse nested pickles); longer ones are skipped.
    public static let maxKeptBytes = 1 << 20
    /// Text arguments (names, decimal numbers, repr strings) longer than this are refused.
    public static let maxLine = 1 << 16
    /// Unicode strings longer than this are refused (no model needs more in a pickle).
    public static let maxString: Int64 = 64 << 20

    public let source: any ByteSource
    public private(set) var offset: Int64
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0
    private let end: Int64

    public init(source: any ByteSource, start: Int64 = 0, end: Int64? = nil) {
        self.source = source
        self.offset = start
        self.end = min(end ?? source.count, source.count)
        self.bufferStart = start
    }

    public var atEnd: Bool { offset >= end }
    public var remaining: Int64 { end - offset }

    /// Skips `count` raw bytes (data embedded between instructions).
    public mutating func skip(_ count: Int64) throws(WardenError) {
        guard count >= 0, count <= end - offset else {
            throw .invalidInput("'\(source.name)': \(count) bytes of embedded data at offset \(offset) run past the end")
        }
        offset += count
    }

    /// The next `count` bytes without consuming them (fewer at the end).
    public mutating func peek(_ count: Int) throws(WardenError) -> [UInt8] {
        let available = Int(min(Int64(count), end - offset))
        try fill(available)
        let start = Int(offset - bufferStart)
        return Array(buffer[start..<start + available])
    }

    /// Decodes the next instruction.
    public mutating func next() throws(WardenError) -> PickleOp {
        let at = offset
        let opcode = try byte()
        func truncatedName() -> String { PickleReader.names[opcode] ?? "opcode" }
        let argument: PickleOp.Argument
        switch opcode {
        // No argument.
        case 0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x51, 0x52, 0x61, 0x62, 0x64, 0x7d, 0x65, 0x6c, 0x5d,
             0x6f, 0x73, 0x74, 0x29, 0x75, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92,
             0x93, 0x94, 0x97, 0x98:
            argument = .none
        case 0x4b: argument = .int(Int64(try byte()))  // BININT1
        case 0x4d: argument = .int(Int64(try little(2)))  // BININT2
        case 0x4a: argument = .int(Int64(Int32(truncatingIfNeeded: try little(4))))  // BININT
        case 0x68, 0x71: argument = .int(Int64(try byte()))  // BINGET, BINPUT
        case 0x6a, 0x72: argument = .int(Int64(try little(4)))  // LONG_BINGET, LONG_BINPUT
        case 0x80: argument = .int(Int64(try byte()))  // PROTO
        case 0x82: argument = .int(Int64(try byte()))  // EXT1
        case 0x83: argument = .int(Int64(try little(2)))  // EXT2
        case 0x84: argument = .int(Int64(Int32(truncatingIfNeeded: try little(4))))  // EXT4
        case 0x95: argument = .int(Int64(bitPattern: try little(8)))  // FRAME
        case 0x47:  // BINFLOAT, big-endian
            argument = .float(Double(bitPattern: try little(8).byteSwapped))
        case 0x8a, 0x8b:  // LONG1, LONG4
            let length = opcode == 0x8a ? Int64(try byte()) : Int64(Int32(truncatingIfNeeded: try little(4)))
            guard length >= 0, length <= 1 << 20 else { throw hostile("\(truncatedName()) declares a \(length)-byte integer", at) }
            let raw = try take(Int(length))
            if length <= 8 {
                var value: UInt64 = 0
                for (index, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                // Sign-extend.
                if length > 0 && length < 8 && raw[Int(length) - 1] & 0x80 != 0 {
                    value |= ~UInt64(0) << (8 * UInt64(length))
                }
                argument = .int(Int64(bitPattern: value))
            } else {
                argument = .bigInt(Int(length))
            }
        case 0x49, 0x4c:  // INT, LONG (text)
            let text = try line()
            let digits = text.hasSuffix("L") ? String(text.dropLast()) : text
            if let value = Int64(digits) { argument = .int(value) } else { argument = .bigInt(digits.utf8.count) }
        case 0x46:  // FLOAT (text)
            argument = .float(Double(try line()) ?? .nan)
        case 0x67, 0x70:  // GET, PUT (text)
            let text = try line()
            guard let value = Int64(text) else { throw hostile("\(truncatedName()) has a non-numeric memo key", at) }
            argument = .int(value)
        case 0x53:  // STRING: a quoted repr, decoded as Python's escape_decode does
            let text = try line()
            guard let value = Self.unquote(text) else { throw hostile("STRING argument is not a quoted string", at) }
            argument = .string(value)
        case 0x56:  // UNICODE: raw-unicode-escape text
            argument = .string(Self.rawUnicodeEscapeDecode(try line()))
        case 0x50:  // PERSID
            argument = .string(try line())
        case 0x63, 0x69:  // GLOBAL, INST
            let module = try line()
            let name = try line()
            argument = .global(module: module, name: name)
        case 0x58, 0x8c, 0x8d:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            let length: Int64 = opcode == 0x8c ? Int64(try byte()) : opcode == 0x58 ? Int64(try little(4)) : Int64(bitPattern: try little(8))
            guard length >= 0, length <= Self.maxString else { throw hostile("\(truncatedName()) declares a \(length)-byte string", at) }
            argument = .string(try utf8Text(Int(length)))
        case 0x54, 0x55, 0x42, 0x43, 0x8e, 0x96:  // BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
            let length: Int64
            switch opcode {
            case 0x55, 0x43: length = Int64(try byte())
            case 0x54: length = Int64(Int32(truncatingIfNeeded: try little(4)))
            case 0x42: length = Int64(try little(4))
            default: length = Int64(bitPattern: try little(8))
            }
            guard length >= 0, length <= end - offset else { throw hostile("\(truncatedName()) declares \(length) bytes, more than remain", at) }
            if length <= Int64(Self.maxKeptBytes) {
                argument = .bytes(count: length, value: try take(Int(length)))
            } else {
                offset += length
                argument = .bytes(count: length, value: nil)
            }
        default:
            throw hostile("unknown opcode 0x\(String(opcode, radix: 16))", at)
        }
        return PickleOp(opcode: opcode, argument: argument, offset: at)
    }

    // MARK: - Bytes

    private mutating func fill(_ count: Int) throws(WardenError) {
        let start = Int(offset - bufferStart)
        if start >= 0 && start + count <= buffer.count { return }
        let want = max(count, 1 << 16)
        buffer = try source.read(offset..<min(end, offset + Int64(want)))
        bufferStart = offset
    }

    /// Consumes `count` bytes and returns where they start in `buffer` (no copy: the opcode and
    /// most arguments are read in place, without an array per instruction).
    private mutating func reserve(_ count: Int) throws(WardenError) -> Int {
        guard Int64(count) <= end - offset else {
            throw .invalidInput("'\(source.name)': pickle is truncated at offset \(offset)")
        }
        try fill(count)
        let start = Int(offset - bufferStart)
        offset += Int64(count)
        return start
    }

    private mutating func take(_ count: Int) throws(WardenError) -> [UInt8] {
        let start = try reserve(count)
        return Array(buffer[start..<start + count])
    }

    private mutating func byte() throws(WardenError) -> UInt8 {
        buffer[try reserve(1)]
    }

    private mutating func little(_ size: Int) throws(WardenError) -> UInt64 {
        let start = try reserve(size)
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(buffer[start + index]) << (8 * UInt64(index)) }
        return value
    }

    /// `count` bytes decoded as UTF-8 (invalid sequences replaced, as before).
    private mutating func utf8Text(_ count: Int) throws(WardenError) -> String {
        let start = try reserve(count)
        return String(decoding: buffer[start..<start + count], as: UTF8.self)
    }

    /// A newline-terminated text argument, found by searching the buffer (not byte by byte).
    private mutating func line() throws(WardenError) -> String {
        var bytes: [UInt8] = []
        while true {
            guard offset < end else { throw .invalidInput("'\(source.name)': pickle is truncated at offset \(offset)") }
            try fill(1)
            let start = Int(offset - bufferStart)
            if let newline = buffer[start...].firstIndex(of: 0x0a) {
                bytes.append(contentsOf: buffer[start..<newline])
                offset += Int64(newline - start + 1)
                break
            }
            bytes.append(contentsOf: buffer[start...])
            offset += Int64(buffer.count - start)
            guard bytes.count <= Self.maxLine else { throw hostile("a text argument is longer than \(Self.maxLine) bytes", offset) }
        }
        guard bytes.count <= Self.maxLine else { throw hostile("a text argument is longer than \(Self.maxLine) bytes", offset) }
        if bytes.last == 0x0d { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func hostile(_ what: String, _ at: Int64) -> WardenError {
        .invalidInput("'\(source.name)': malformed pickle at offset \(at): \(what)")
    }

    /// `'text'` or `"text"` → text with Python's string escapes decoded (`\\x6f` → `o`), so that
    /// names spelled with escapes are seen as Python sees them; nil when not quoted.
    static func unquote(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, let first = bytes.first, first == bytes.last, first == 0x27 || first == 0x22 else { return nil }
        let body = bytes[1..<bytes.count - 1]
        var out: [UInt8] = []
        var index = body.startIndex
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x61...0x66: byte - 0x61 + 10
            case 0x41...0x46: byte - 0x41 + 10
            default: nil
            }
        }
        while index < body.endIndex {
            let byte = body[index]
            index += 1
            guard byte == 0x5c, index < body.endIndex else {
                out.append(byte)
                continue
            }
            let escape = body[index]
            index += 1
            switch escape {
            case 0x6e: out.append(0x0a)  // \n
            case 0x74: out.append(0x09)  // \t
            case 0x72: out.append(0x0d)  // \r
            case 0x30...0x37:  // octal, up to three digits
                var value = Int(escape - 0x30)
                var digits = 1
                while digits < 3, index < body.endIndex, (0x30...0x37).contains(body[index]) {
                    value = value * 8 + Int(body[index] - 0x30)
                    index += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case 0x78:  // \xHH
                if index + 1 < body.endIndex, let high = hex(body[index]), let low = hex(body[index + 1]) {
                    out.append(high << 4 | low)
                    index += 2
                } else {
                    out.append(contentsOf: [0x5c, escape])
                }
            case 0x0a: break  // line continuation
            case 0x5c, 0x27, 0x22: out.append(escape)
            case 0x61: out.append(0x07)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x76: out.append(0x0b)
            default: out.append(contentsOf: [0x5c, escape])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Python's raw-unicode-escape decoding: only `\\uXXXX` and `\\UXXXXXXXX` are escapes.
    static func rawUnicodeEscapeDecode(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 1 < scalars.count, scalars[index + 1] == "u" || scalars[index + 1] == "U" {
                let width = scalars[index + 1] == "u" ? 4 : 8
                if index + 2 + width <= scalars.count,
                    let value = ScalarDigits.value(scalars[index + 2..<index + 2 + width], radix: 16),
                    let decoded = Unicode.Scalar(value)
                {
                    out.append(decoded)
                    index += 2 + width
                    continue
                }
            }
            out.append(scalar)
            index += 1
        }
        return String(out)
    }

    /// Opcode names as Python's pickletools spells them.
    public static let names: [UInt8: String] = [
        0x28: "MARK", 0x2e: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT",
        0x4a: "BININT", 0x4b: "BININT1", 0x4c: "LONG", 0x4d: "BININT2", 0x4e: "NONE", 0x50: "PERSID",
        0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
        0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
        0x7d: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6a: "LONG_BINGET",
        0x6c: "LIST", 0x5d: "EMPTY_LIST", 0x6f: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
        0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE", 0x75: "SETITEMS", 0x47: "BINFLOAT",
        0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1",
        0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8a: "LONG1", 0x8b: "LONG4",
        0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8",
        0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX",
        0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
        0x98: "READONLY_BUFFER",
    ]

    /// Whether `prefix` plausibly starts a pickle: PROTO 0–5, or an opcode that can open a
    /// protocol 0/1 pickle (a mark, a container, a global, a constant). A trial decode decides.
    public static func looksLikePickle(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= 2, let first = prefix.first else { return false }
        if first == 0x80 { return prefix[1] <= 5 }
        return openers.contains(first)
    }

    /// Whether `prefix` starts with PROTO: a strong sign of a pickle, worth reporting when it breaks.
    public static func startsWithProto(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 2 && prefix[0] == 0x80 && prefix[1] <= 5
    }

    /// Opcodes a protocol 0/1 pickle can start with.
    static let openers: Set<UInt8> = [0x28, 0x5d, 0x7d, 0x29, 0x63, 0x69, 0x4e, 0x49, 0x4a, 0x4b, 0x4d, 0x4c, 0x46, 0x47, 0x53, 0x54, 0x55, 0x56, 0x58, 0x42, 0x43, 0x8c, 0x8d, 0x8e, 0x88, 0x89, 0x8a, 0x8b, 0x95]
}
