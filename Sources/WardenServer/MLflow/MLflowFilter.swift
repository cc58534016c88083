import WardenCore

/// The subset of MLflow's search filter grammar its client sends to the registry:
/// `clause [AND clause]…` where a clause is `KEY OP VALUE`, KEY is `name`, `run_id`, `source_path`,
/// `version_number`, or `tag.KEY` / `tags.KEY` (bare, `backquoted` or "quoted"), OP is `=`, `!=`,
/// `LIKE`, `ILIKE` or `IN`, and VALUE is a quoted string, a number, or `(…, …)` after IN.
/// Anything else is a clear `invalidInput`, never a silent match-all.
struct MLflowFilter: Sendable, Equatable {
    enum Key: Sendable, Equatable {
        case attribute(String)
        case tag(String)
    }

    enum Operator: String, Sendable {
        case equal = "=", notEqual = "!=", like = "LIKE", ilike = "ILIKE", inList = "IN"
    }

    struct Clause: Sendable, Equatable {
        var key: Key
        var op: Operator
        var values: [String]
    }

    var clauses: [Clause]

    static let attributes: Set<String> = ["name", "run_id", "source_path", "version_number", "description"]

    init(parsing text: String?) throws {
        clauses = []
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        guard text.utf8.count <= 4096 else { throw WardenError.invalidInput("The filter is longer than 4096 bytes") }
        var scanner = Scanner(Array(text.unicodeScalars))
        while true {
            clauses.append(try scanner.clause())
            scanner.skipSpace()
            if scanner.atEnd { break }
            guard scanner.keyword("AND") else {
                throw WardenError.invalidInput("Cannot parse the filter '\(text.prefix(200))': expected AND at character \(scanner.index + 1)")
            }
        }
    }

    /// Whether an object with these attributes and tags matches every clause.
    func matches(attributes: [String: String], tags: [String: String]) -> Bool {
        clauses.allSatisfy { clause in
            let value: String?
            switch clause.key {
            case .attribute(let name): value = attributes[name]
            case .tag(let name): value = tags[name]
            }
            switch clause.op {
            case .equal: return value == clause.values[0]
            case .notEqual: return value != clause.values[0]
            case .like: return value.map { Self.like($0, clause.values[0], caseInsensitive: false) } ?? false
            case .ilike: return value.map { Self.like($0, clause.values[0], caseInsensitive: true) } ?? false
            case .inList: return value.map(clause.values.contains) ?? false
            }
        }
    }

    /// SQL LIKE: `%` any run, `_` one character.
    static func like(_ text: String, _ pattern: String, caseInsensitive: Bool) -> Bool {
        let t = Array(caseInsensitive ? text.lowercased() : text)
        let p = Array(caseInsensitive ? pattern.lowercased() : pattern)
        // Iterative wildcard matching with one backtrack point (linear for one %, bounded otherwise).
        var ti = 0, pi = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "_" || p[pi] == t[ti]) && p[pi] != "%" {
                ti += 1
                pi += 1
            } else if pi < p.count && p[pi] == "%" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "%" { pi += 1 }
        return pi == p.count
    }

    struct Scanner {
        let chars: [Unicode.Scalar]
        var index = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { index >= chars.count }

        mutating func skipSpace() {
            while index < chars.count && chars[index].properties.isWhitespace { index += 1 }
        }

        func error(_ what: String) -> WardenError {
            .invalidInput("Cannot parse the filter '\(String(String.UnicodeScalarView(chars)).prefix(200))': \(what) at character \(index + 1)")
        }

        mutating func keyword(_ word: String) -> Bool {
            skipSpace()
            let scalars = Array(word.unicodeScalars)
            guard index + scalars.count <= chars.count else { return false }
            let slice = String(String.UnicodeScalarView(chars[index..<index + scalars.count]))
            guard slice.uppercased() == word else { return false }
            let after = index + scalars.count
            if after < chars.count && (chars[after].properties.isAlphabetic || chars[after] == "_") { return false }
            index = after
            return true
        }

        mutating func quoted() throws -> String {
            let quote = chars[index]
            index += 1
            var out = String.UnicodeScalarView()
            while index < chars.count && chars[index] != quote {
                if chars[index] == "\\" && index + 1 < chars.count { index += 1 }
                out.append(chars[index])
                index += 1
            }
            guard index < chars.count else { throw error("an unterminated quote") }
            index += 1
            return String(out)
        }

        mutating func identifier() throws -> String {
            skipSpace()
            guard index < chars.count else { throw error("a missing key") }
            if ["`", "\"", "'"].contains(chars[index]) { return try quoted() }
            let start = index
            while index < chars.count && (chars[index].properties.isAlphabetic || ("0"..."9").contains(chars[index]) || chars[index] == "_" || chars[index] == ".") {
                index += 1
            }
            guard index > start else { throw error("an unexpected character '\(chars[index])'") }
            return String(String.UnicodeScalarView(chars[start..<index]))
        }

        mutating func key() throws -> Key {
            let first = try identifier()
            let lower = first.lowercased()
            if (lower == "tag." || lower == "tags.") && index < chars.count && ["`", "\"", "'"].contains(chars[index]) {
                let name = try quoted()
                guard !name.isEmpty else { throw error("an empty tag name") }
                return .tag(name)
            }
            for prefix in ["tags.", "tag."] where lower.hasPrefix(prefix) {
                let rest = String(first.dropFirst(prefix.count))
                if !rest.isEmpty { return .tag(rest) }
            }
            if (lower == "tag" || lower == "tags") && index < chars.count && chars[index] == "." {
                index += 1
                return .tag(try identifier())
            }
            let attribute = lower.hasPrefix("attributes.") ? String(lower.dropFirst("attributes.".count)) : lower
            guard MLflowFilter.attributes.contains(attribute) else {
                throw WardenError.invalidInput("The filter key '\(first.prefix(80))' is not supported (use name, run_id, source_path, version_number or tag.KEY)")
            }
            return .attribute(attribute)
        }

        mutating func value() throws -> String {
            skipSpace()
            guard index < chars.count else { throw error("a missing value") }
            if chars[index] == "'" || chars[index] == "\"" { return try quoted() }
            let start = index
            while index < chars.count && (("0"..."9").contains(chars[index]) || chars[index] == "." || chars[index] == "-") { index += 1 }
            guard index > start else { throw error("a value that is not a quoted string or a number") }
            return String(String.UnicodeScalarView(chars[start..<index]))
        }

        mutating func clause() throws -> Clause {
            let key = try key()
            skipSpace()
            let op: Operator
            if index + 1 < chars.count && chars[index] == "!" && chars[index + 1] == "=" {
                op = .notEqual
                index += 2
            } else if index < chars.count && chars[index] == "=" {
                op = .equal
                index += 1
            } else if keyword("ILIKE") {
                op = .ilike
            } else if keyword("LIKE") {
                op = .like
            } else if keyword("IN") {
                op = .inList
            } else {
                throw error("a missing operator (=, !=, LIKE, ILIKE, IN)")
            }
            guard op == .inList else { return Clause(key: key, op: op, values: [try value()]) }
            skipSpace()
            guard index < chars.count && chars[index] == "(" else { throw error("IN without (") }
            index += 1
            var values: [String] = []
            while true {
                values.append(try value())
                skipSpace()
                guard index < chars.count else { throw error("IN without )") }
                if chars[index] == ")" {
                    index += 1
                    break
                }
                guard chars[index] == "," else { throw error("a missing , in IN (…)") }
                index += 1
            }
            return Clause(key: key, op: op, values: values)
        }
    }
}
