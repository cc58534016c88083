import WardenCore

/// Judges a Jinja chat template (GGUF `tokenizer.chat_template`): templates render in a sandbox,
/// and the known escapes reach Python object internals (`__class__`, `__mro__`, `__subclasses__`,
/// `__globals__`, `__builtins__`), directly, through Jinja's globals (`cycler`, `joiner`, `lipsum`,
/// `namespace`), or with names built from pieces (`'_'~'_'~'class'`, `|attr`, `%c` formatting).
enum ChatTemplateRules {
    struct Problem {
        var severity: Severity
        var construct: String
        var message: String
    }

    static let jinjaGlobals: Set<String> = ["cycler", "joiner", "lipsum", "namespace", "range", "dict", "self", "config", "request", "url_for", "get_flashed_messages"]
    static let dangerousNames: Set<String> = ["popen", "eval", "exec", "import_module", "subprocess", "os", "builtins", "getattr", "globals", "mro", "subclasses", "func_globals", "f_globals", "gi_frame"]

    /// The problems of `template`, most serious first (empty for an ordinary template).
    static func problems(_ template: String) -> [Problem] {
        var problems: [Problem] = []
        for block in blocks(of: template) {
            let (identifiers, literals) = tokens(of: block)
            let joinedLiterals = literals.concatenated()
            for name in identifiers where isDunder(name) {
                problems.append(Problem(severity: .critical, construct: name, message: "the template reads '\(name)', which reaches Python object internals"))
            }
            for literal in literals where isDunder(literal) || has(literal, "__") && literal.count > 4 {
                problems.append(Problem(severity: .critical, construct: literal, message: "the template uses the string '\(literal)', a dunder name"))
            }
            if literals.count > 1, containsDunderStart(joinedLiterals),
                !literals.contains(where: { has($0, "__") })
            {
                problems.append(Problem(severity: .critical, construct: joinedLiterals, message: "the template builds the dunder name '\(joinedLiterals.prefix(40))' from pieces"))
            }
            if literals.contains(where: { !$0.isEmpty && $0.allSatisfy { $0 == "_" } }) && (has(block, "~") || has(block, "+") || has(block, "join")) {
                problems.append(Problem(severity: .critical, construct: "_", message: "the template concatenates underscores into a name (a sandbox-escape obfuscation)"))
            }
            for (index, name) in identifiers.enumerated() where ["cycler", "joiner", "lipsum"].contains(name) || name == "namespace" && index + 1 < identifiers.count && has(block, "namespace.") {
                problems.append(Problem(severity: .critical, construct: name, message: "the template accesses the Jinja global '\(name)' as an object (a path to its function's globals)"))
            }
            if usesAttr(block) {
                problems.append(Problem(severity: .high, construct: "attr", message: "the template uses the attr filter, which reads attributes by computed name"))
            }
            if has(block, "%c"), has(block, "format") {
                problems.append(Problem(severity: .high, construct: "format", message: "the template builds characters with '%c' formatting (an obfuscation)"))
            }
            for name in identifiers where dangerousNames.contains(name) {
                problems.append(Problem(severity: .high, construct: name, message: "the template names '\(name)', which no chat template needs"))
            }
        }
        var seen: Set<String> = []
        return problems.filter { seen.insert("\($0.severity)|\($0.construct)").inserted }.sorted { $0.severity > $1.severity }
    }

    static func isDunder(_ name: String) -> Bool {
        name.count > 4 && name.hasPrefix("__") && name.hasSuffix("__")
    }

    /// The text inside `{{ … }}` and `{% … %}` (comments `{# … #}` are skipped). Delimiters are
    /// matched byte for byte, as Jinja's lexer does: a combining mark after a brace does not hide a
    /// block from the scan (a Unicode-aware search would see a different character there).
    static func blocks(of template: String) -> [String] {
        let bytes = Array(template.utf8)
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var out: [String] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == open else {
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { break }
            let kind = bytes[index + 1]
            guard kind == open || kind == UInt8(ascii: "%") || kind == UInt8(ascii: "#") else {
                index += 1
                continue
            }
            let closerFirst = kind == open ? close : kind
            let start = index + 2
            var end = start
            while end + 1 < bytes.count, !(bytes[end] == closerFirst && bytes[end + 1] == close) { end += 1 }
            guard end + 1 < bytes.count else {
                out.append(String(decoding: bytes[start...], as: UTF8.self))
                break
            }
            if kind != UInt8(ascii: "#") { out.append(String(decoding: bytes[start..<end], as: UTF8.self)) }
            index = end + 2
        }
        return out
    }

    /// Whether `text` contains `needle`, compared byte for byte (UTF-8), as Jinja reads a template.
    static func has(_ text: String, _ needle: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            needle.withUTF8Buffer { pattern in
                guard let first = pattern.first else { return true }
                guard pattern.count <= haystack.count else { return false }
                for start in 0...(haystack.count - pattern.count) where haystack[start] == first {
                    var offset = 1
                    while offset < pattern.count, haystack[start + offset] == pattern[offset] { offset += 1 }
                    if offset == pattern.count { return true }
                }
                return false
            }
        }
    }

    /// Identifiers and decoded string literals of a block.
    static func tokens(of block: String) -> ([String], [String]) {
        var identifiers: [String] = []
        var literals: [String] = []
        let scalars = Array(block.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            if c == "'" || c == "\"" {
                var text = String.UnicodeScalarView()
                index += 1
                while index < scalars.count, scalars[index] != c {
                    if scalars[index] == "\\", index + 1 < scalars.count {
                        let escape = scalars[index + 1]
                        let width = escape == "x" ? 2 : escape == "u" ? 4 : escape == "U" ? 8 : 0
                        if width > 0, index + 2 + width <= scalars.count,
                            let value = ScalarDigits.value(scalars[index + 2..<index + 2 + width], radix: 16),
                            let scalar = Unicode.Scalar(value)
                        {
                            text.append(scalar)
                            index += 2 + width
                            continue
                        }
                        if let octal = ScalarDigits.value(scalars[index + 1..<min(scalars.count, index + 4)], radix: 8),
                            index + 4 <= scalars.count, let scalar = Unicode.Scalar(octal)
                        {
                            text.append(scalar)
                            index += 4
                            continue
                        }
                        text.append(escape)
                        index += 2
                        continue
                    }
                    text.append(scalars[index])
                    index += 1
                }
                literals.append(String(text))
                index += 1
            } else if c == "_" || isLetter(c) {
                var name = String.UnicodeScalarView()
                while index < scalars.count, scalars[index] == "_" || isLetter(scalars[index]) || ("0"..."9").contains(scalars[index]) {
                    name.append(scalars[index])
                    index += 1
                }
                identifiers.append(String(name))
            } else {
                index += 1
            }
        }
        return (identifiers, literals)
    }
}

extension ChatTemplateRules {
    /// Whether `text` holds `__` followed by an ASCII letter (a dunder name's start).
    static func containsDunderStart(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 3 else { return false }
        return (0..<scalars.count - 2).contains { scalars[$0] == "_" && scalars[$0 + 1] == "_" && isLetter(scalars[$0 + 2]) }
    }

    /// Whether a block uses the attr filter (`| attr`) or calls `attr(`, `attr` being a whole word.
    static func usesAttr(_ block: String) -> Bool {
        let scalars = Array(block.unicodeScalars)
        let word: [Unicode.Scalar] = ["a", "t", "t", "r"]
        func isWord(_ at: Int) -> Bool { at >= 0 && at < scalars.count && (isLetter(scalars[at]) || scalars[at] == "_" || ("0"..."9").contains(scalars[at])) }
        func skipSpaces(_ from: Int) -> Int {
            var index = from
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
            return index
        }
        func isAttr(_ at: Int) -> Bool { at + 4 <= scalars.count && Array(scalars[at..<at + 4]) == word }
        for index in scalars.indices {
            if scalars[index] == "|" {
                let start = skipSpaces(index + 1)
                if isAttr(start), !isWord(start + 4) { return true }
            } else if isAttr(index), !isWord(index - 1) {
                let next = skipSpaces(index + 4)
                if next < scalars.count, scalars[next] == "(" { return true }
            }
        }
        return false
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
