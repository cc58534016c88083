import WardenCore

/// A Python literal as `ast.literal_eval` reads it (the subset NumPy headers use): dicts, lists,
/// tuples, strings, integers, floats, True/False/None. Parsed with bounded depth; nothing is evaluated.
public indirect enum PythonLiteral: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([PythonLiteral])
    case tuple([PythonLiteral])
    case dict([(PythonLiteral, PythonLiteral)])

    public static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.float(let a), .float(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)): a == b
        case (.dict(let a), .dict(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// Every string inside the value.
    public var strings: [String] {
        switch self {
        case .string(let text): [text]
        case .list(let items), .tuple(let items): items.flatMap(\.strings)
        case .dict(let entries): entries.flatMap { $0.0.strings + $0.1.strings }
        default: []
        }
    }

    /// A recursive-descent parser over the literal's text.
    public struct Parser {
        private let bytes: [UInt8]
        private var index = 0
        private let maxDepth = 32

        public init(text: String) { bytes = Array(text.utf8) }

        /// Parses one literal; trailing white space is allowed, anything else is an error.
        public mutating func parse() throws(WardenError) -> PythonLiteral {
            let value = try literal(depth: 0)
            skipSpace()
            guard index == bytes.count else { throw error("unexpected text after the literal") }
            return value
        }

        private func error(_ what: String) -> WardenError { .invalidInput("\(what) at character \(index)") }

        private mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }

        private mutating func literal(depth: Int) throws(WardenError) -> PythonLiteral {
            guard depth < maxDepth else { throw error("nested too deeply") }
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end") }
            switch bytes[index] {
            case 0x7b:  // {
                index += 1
                var entries: [(PythonLiteral, PythonLiteral)] = []
                while true {
                    skipSpace()
                    if index < bytes.count, bytes[index] == 0x7d { index += 1; break }
                    let key = try literal(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3a else { throw error("expected ':'") }
                    index += 1
                    entries.append((key, try literal(depth: depth + 1)))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated dict") }
                    if bytes[index] == 0x2c { index += 1 } else if bytes[index] != 0x7d { throw error("expected ',' or '}'") }
                }
                return .dict(entries)
            case 0x5b, 0x28:  // [ (
                let close: UInt8 = bytes[index] == 0x5b ? 0x5d : 0x29
                let isList = close == 0x5d
                index += 1
                var items: [PythonLiteral] = []
                var sawComma = false
                while true {
                    skipSpace()
                    if index < bytes.count, bytes[index] == close { index += 1; break }
                    items.append(try literal(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unterminated sequence") }
                    if bytes[index] == 0x2c { index += 1; sawComma = true } else if bytes[index] != close { throw error("expected ',' or a closing bracket") }
                }
                if !isList && items.count == 1 && !sawComma { return items[0] }  // (x) is x
                return isList ? .list(items) : .tuple(items)
            case 0x27, 0x22:
                return .string(try string())
            default:
                return try word()
            }
        }

        private mutating func string() throws(WardenError) -> String {
            let quote = bytes[index]
            index += 1
            var out: [UInt8] = []
            while index < bytes.count, bytes[index] != quote {
                if bytes[index] == 0x5c, index + 1 < bytes.count {
                    out.append(bytes[index + 1])
                    index += 2
                } else {
                    out.append(bytes[index])
                    index += 1
                }
            }
            guard index < bytes.count else { throw error("unterminated string") }
            index += 1
            return String(decoding: out, as: UTF8.self)
        }

        private mutating func word() throws(WardenError) -> PythonLiteral {
            let start = index
            while index < bytes.count, !",:)]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            switch text {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                let digits = text.hasSuffix("L") ? String(text.dropLast()) : text
                if let value = Int64(digits) { return .int(value) }
                if let value = Double(text) { return .float(value) }
                throw error("unknown token '\(text.prefix(20))'")
            }
        }
    }
}
