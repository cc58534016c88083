import Foundation
import WardenCore

/// Reads the dependency lists users keep beside models: requirements.txt / `pip freeze` output,
/// pyproject.toml (`[project] dependencies`, `[tool.poetry.dependencies]`) and SwiftPM's
/// Package.resolved (v1, v2, v3). Lines it cannot understand become warnings, not failures.
public enum DependencyFileParser: Sendable {
    public struct Result: Sendable, Equatable {
        public var dependencies: [PackageDependency] = []
        public var warnings: [String] = []
    }

    public enum Kind: Sendable {
        case requirements, pyproject, packageResolved

        public static func guess(_ path: String) -> Kind {
            let name = FileIO.lastComponent(of: path).lowercased()
            if name == "pyproject.toml" { return .pyproject }
            if name == "package.resolved" { return .packageResolved }
            return .requirements
        }
    }

    public static func parse(file path: String) throws(WardenError) -> Result {
        let bytes = try FileIO.readAll(path, limit: 16 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidInput("'\(path)' is not UTF-8 text; give a requirements.txt, pyproject.toml or Package.resolved")
        }
        switch Kind.guess(path) {
        case .requirements: return requirements(text, source: path)
        case .pyproject: return try pyproject(text, source: path)
        case .packageResolved: return try packageResolved(bytes, source: path)
        }
    }

    // MARK: requirements.txt

    public static func requirements(_ text: String, source: String) -> Result {
        var result = Result()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("-") {
                result.warnings.append("\(source):\(index + 1): option '\(line.prefix(40))' not followed")
                continue
            }
            if let dependency = pep508(line, source: source) {
                result.dependencies.append(dependency)
            } else {
                result.warnings.append("\(source):\(index + 1): cannot read requirement '\(line.prefix(60))'")
            }
        }
        return result
    }

    /// A PEP 508 requirement: `name[extras] (==|>=|~=|…) version ; markers` or `name @ url`.
    static func pep508(_ text: String, source: String) -> PackageDependency? {
        var spec = text
        if let semicolon = spec.firstIndex(of: ";") { spec = String(spec[..<semicolon]) }
        spec = spec.trimmingCharacters(in: .whitespaces)
        let nameEnd = spec.firstIndex { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ?? spec.endIndex
        let name = String(spec[..<nameEnd])
        guard !name.isEmpty, name.first!.isLetter || name.first!.isNumber else { return nil }
        var rest = spec[nameEnd...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            rest = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        if rest.hasPrefix("@") {
            return PackageDependency(ecosystem: .pypi, name: name, version: nil, constraint: rest, source: source)
        }
        rest = rest.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        if rest.isEmpty { return PackageDependency(ecosystem: .pypi, name: name, version: nil, source: source) }
        let allowed = CharacterSet(charactersIn: "<>=!~*., ").union(.alphanumerics).union(CharacterSet(charactersIn: "+-_"))
        guard rest.unicodeScalars.allSatisfy(allowed.contains), let first = rest.first, "<>=!~".contains(first) else { return nil }
        if rest.hasPrefix("==") && !rest.hasPrefix("===") && !rest.contains(",") && !rest.contains("*") {
            let version = rest.dropFirst(2).trimmingCharacters(in: .whitespaces)
            return PackageDependency(ecosystem: .pypi, name: name, version: version.isEmpty ? nil : version, source: source)
        }
        return PackageDependency(ecosystem: .pypi, name: name, version: nil, constraint: rest, source: source)
    }

    // MARK: pyproject.toml (the two tables that list dependencies)

    public static func pyproject(_ text: String, source: String) throws(WardenError) -> Result {
        var result = Result()
        var table = ""
        var collectingArray = false
        var arrayText = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if collectingArray {
                arrayText += " " + line
                if Self.closesArray(arrayText) {
                    collectingArray = false
                    for item in Self.strings(in: arrayText) {
                        if let dependency = pep508(item, source: source) { result.dependencies.append(dependency) } else {
                            result.warnings.append("\(source): cannot read dependency '\(item.prefix(60))'")
                        }
                    }
                }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("[") {
                table = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if table == "project" && key == "dependencies" {
                guard value.hasPrefix("[") else { throw .invalidInput("\(source):\(index + 1): [project] dependencies is not a list") }
                arrayText = value
                collectingArray = !Self.closesArray(value)
                if !collectingArray {
                    for item in Self.strings(in: value) {
                        if let dependency = pep508(item, source: source) { result.dependencies.append(dependency) }
                    }
                }
            } else if table == "tool.poetry.dependencies" && key != "python" {
                var constraint = value
                if value.hasPrefix("{") {
                    constraint = Self.inlineValue(value, key: "version") ?? ""
                } else {
                    constraint = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                }
                let pinned = constraint.first.map { $0.isNumber } ?? false
                result.dependencies.append(
                    PackageDependency(
                        ecosystem: .pypi, name: key, version: pinned ? constraint : nil, constraint: pinned ? nil : constraint,
                        source: source))
            }
        }
        if collectingArray { throw .invalidInput("\(source): [project] dependencies is not closed") }
        return result
    }

    static func closesArray(_ text: String) -> Bool {
        var inString = false
        var quote: Character = "\""
        var depth = 0
        for character in text {
            if inString {
                if character == quote { inString = false }
            } else if character == "\"" || character == "'" {
                inString = true
                quote = character
            } else if character == "[" {
                depth += 1
            } else if character == "]" {
                depth -= 1
                if depth == 0 { return true }
            }
        }
        return false
    }

    static func strings(in text: String) -> [String] {
        var out: [String] = []
        var current: String?
        var quote: Character = "\""
        for character in text {
            if var value = current {
                if character == quote {
                    out.append(value)
                    current = nil
                } else {
                    value.append(character)
                    current = value
                }
            } else if character == "\"" || character == "'" {
                quote = character
                current = ""
            }
        }
        return out
    }

    static func inlineValue(_ table: String, key: String) -> String? {
        guard let range = table.range(of: key) else { return nil }
        let after = table[range.upperBound...].drop { $0 == " " || $0 == "=" }
        return strings(in: String(after)).first
    }

    // MARK: Package.resolved

    public static func packageResolved(_ bytes: [UInt8], source: String) throws(WardenError) -> Result {
        let json = try JSONParser(maxDepth: 32, maxBytes: 16 << 20).parse(bytes, source: "'\(source)'")
        let pins = json["pins"]?.arrayValue ?? json["object"]?["pins"]?.arrayValue
        guard let pins else { throw .invalidInput("'\(source)' is not a SwiftPM Package.resolved (no pins)") }
        var result = Result()
        for pin in pins {
            guard let location = pin["location"]?.stringValue ?? pin["repositoryURL"]?.stringValue else {
                result.warnings.append("\(source): a pin without a location")
                continue
            }
            let version = pin["state"]?["version"]?.stringValue
            var name = location
            for prefix in ["https://", "http://", "git@", "ssh://"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
            name = name.replacingOccurrences(of: ":", with: "/")
            if name.hasSuffix(".git") { name.removeLast(4) }
            let revision = pin["state"]?["revision"]?.stringValue
            result.dependencies.append(
                PackageDependency(
                    ecosystem: .swift, name: name, version: version, constraint: version == nil ? revision.map { "revision \($0)" } : nil,
                    source: source))
        }
        return result
    }
}
