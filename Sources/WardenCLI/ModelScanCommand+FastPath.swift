import ArgumentParser
import WardenCore

/// `warden model scan` without ArgumentParser's start-up.
///
/// ArgumentParser reflects over every command and option type it meets (`Mirror`, property
/// wrapper casts, the completion-script pseudo-commands it parses first), and every first-time
/// dynamic cast to a protocol walks all ~14 500 protocol-conformance records of the static `warden`
/// binary. On a folder of small model files that start-up was a third of the CPU time of a scan
/// (docs/BENCHMARKS.md, "Scanner speed"), and scanners run once per file in CI hooks. So the plain
/// forms of the command — paths, `--fail-on`, `--format`, `--output` (as `--name value` or
/// `--name=value`), `--allow-symlinks`, `--json`, `--quiet` — are read here directly. Anything else
/// (help, unknown or malformed options, a value ArgumentParser would reject, no path) returns `nil`
/// and goes through ArgumentParser, which then prints its usual message, so both paths accept
/// the same command lines with the same meaning (ModelScanCommandTests compares them).
extension ModelScanCommand {
    /// The command's stored properties that ``ModelScanRequest`` carries, in declaration order (a
    /// test keeps this list equal to the command's properties, so a new option cannot be left out
    /// of the request or the fast path).
    static let fastPathProperties = ["paths", "failOn", "format", "output", "allowSymlinks", "outputOptions"]

    /// The request for `arguments` (what follows `warden model scan`), or `nil` when
    /// ArgumentParser should parse them.
    static func fastParse(_ arguments: [String]) -> ModelScanRequest? {
        var paths: [String] = []
        var failOn = Severity.high
        var format = Format.text
        var output: String?
        var allowSymlinks = false
        var json = false
        var quiet = false
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else {
                paths.append(argument)
                continue
            }
            var name = Substring(argument)
            var inlineValue: Substring?
            if let equals = argument.firstIndex(of: "=") {
                name = argument[..<equals]
                inlineValue = argument[argument.index(after: equals)...]
            }
            /// The option's value: inline after `=` (not empty), else the next argument (one that
            /// does not look like an option), as ArgumentParser requires.
            func value() -> String? {
                if let inlineValue { return inlineValue.isEmpty ? nil : String(inlineValue) }
                guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                defer { index += 1 }
                return arguments[index]
            }
            switch name {
            case "--fail-on":
                guard let raw = value(), let severity = Severity(argument: raw), severity != .info else { return nil }
                failOn = severity
            case "--format":
                guard let raw = value(), let chosen = Format(rawValue: raw) else { return nil }
                format = chosen
            case "--output":
                guard let path = value() else { return nil }
                output = path
            case "--allow-symlinks" where inlineValue == nil: allowSymlinks = true
            case "--json" where inlineValue == nil: json = true
            case "--quiet" where inlineValue == nil: quiet = true
            default: return nil
            }
        }
        guard !paths.isEmpty else { return nil }
        return ModelScanRequest(paths: paths, failOn: failOn, format: format, output: output, allowSymlinks: allowSymlinks,
                                json: json, quiet: quiet)
    }
}
