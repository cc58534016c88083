/// A JSON document as a value: parsed without loss (integers stay integers) and written either
/// canonically (sorted keys, no white space) or pretty-printed.
///
/// Warden hashes and signs JSON, so it needs one serialisation that never changes: see
/// ``canonicalBytes``. Parsing is bounded (depth, size) so hostile documents cannot exhaust memory.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order; duplicate keys are rejected when parsing.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count
                && Dictionary(a, uniquingKeysWith: { x, _ in x }) == Dictionary(b, uniquingKeysWith: { x, _ in x })
        default: false
        }
    }

    /// Consistent with `==`: numbers hash by their value as a double, object members by key order
    /// (the first of duplicate keys, as `==` sees them).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b):
            hasher.combine(1)
            hasher.combine(b)
        case .int(let i):
            hasher.combine(2)
            hasher.combine(Double(i))
        case .double(let d):
            hasher.combine(2)
            hasher.combine(d)
        case .string(let s):
            hasher.combine(3)
            hasher.combine(s)
        case .array(let items):
            hasher.combine(4)
            hasher.combine(items)
        case .object(let members):
            hasher.combine(5)
            let unique = Dictionary(members, uniquingKeysWith: { x, _ in x })
            hasher.combine(members.count)
            for key in unique.keys.sorted() {
                hasher.combine(key)
                hasher.combine(unique[key])
            }
        }
    }

    // MARK: Accessors

    /// The member named `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The value as an integer, accepting integral doubles (`1048576.0`), as protobuf JSON writes them.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    // MARK: Writing

    /// Canonical form: object keys sorted by UTF-16 code units (RFC 8785 order), no white space.
    public var canonicalString: String {
        var out = ""
        write(to: &out, canonical: true, indent: nil, level: 0)
        return out
    }

    /// UTF-8 bytes of ``canonicalString``.
    public var canonicalBytes: [UInt8] { Array(canonicalString.utf8) }

    /// Pretty-printed with `indent` spaces, keys in document order, as Python's
    /// `json.dumps(indent=indent, ensure_ascii=asciiOnly)` writes it.
    /// - Parameter asciiOnly: escape every character outside printable ASCII as `\uXXXX`
    ///   (surrogate pairs above U+FFFF), as protobuf's `MessageToJson` does for OMS payloads.
    public func prettyString(indent: Int = 2, asciiOnly: Bool = false) -> String {
        var out = ""
        write(to: &out, canonical: false, indent: indent, level: 0, asciiOnly: asciiOnly)
        return out
    }

    /// Compact, keys in document order.
    public var compactString: String {
        var out = ""
        write(to: &out, canonical: false, indent: nil, level: 0)
        return out
    }

    private func write(to out: inout String, canonical: Bool, indent: Int?, level: Int, asciiOnly: Bool = false) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.format(d)
        case .string(let s): JSONValue.writeString(s, to: &out, asciiOnly: asciiOnly)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                newline(&out, indent: indent, level: level + 1)
                item.write(to: &out, canonical: canonical, indent: indent, level: level + 1, asciiOnly: asciiOnly)
            }
            newline(&out, indent: indent, level: level)
            out += "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            let ordered = canonical ? members.sorted { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) } : members
            out += "{"
            for (n, (key, value)) in ordered.enumerated() {
                if n > 0 { out += "," }
                newline(&out, indent: indent, level: level + 1)
                JSONValue.writeString(key, to: &out, asciiOnly: asciiOnly)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, canonical: canonical, indent: indent, level: level + 1, asciiOnly: asciiOnly)
            }
            newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, indent: Int?, level: Int) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: " ", count: indent * level)
    }

    /// Python's `repr(float)`: shortest round-trip digits, positional below 1e16 (Swift switches to
    /// an exponent at 2^53), `1e+16` style above.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e16 { return String(Int64(d)) + ".0" }
        return "\(d)"
    }

    static func writeString(_ s: String, to out: inout String, asciiOnly: Bool = false) {
        // Most strings (names, digests, times) need no escape: appended whole, not scalar by scalar
        // (the scalar loop was the largest JSON cost of the registry's audit hashes and responses).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (asciiOnly && $0 >= 0x7F) }) {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value >= 0x7F) {
                    // Above U+FFFF: a UTF-16 surrogate pair, as JSON requires.
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}
