import ArgumentParser
import Foundation
import WardenCore
import WardenScan

/// `warden model scan`: find code that would run when model files are loaded.
struct ModelScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan model files for code that runs when they are loaded (pickle, PyTorch, joblib, NumPy, …).",
        discussion: """
            Scans files and folders (recursively, and inside archives and compressed streams). \
            Formats are detected by content, never by extension. Pickles are run by a static \
            machine that executes nothing; their globals are judged by per-format allowlists, \
            with a denylist to grade and explain. Formats Warden does not analyse are reported \
            as "not analysed" (info), never as clean.

            Exit codes: 0 no finding reaches --fail-on · 1 a finding does · 2 bad usage or an \
            unreadable path · 3 internal error.

            Example:
              warden model scan model.pt
              warden model scan models/ --fail-on medium --format sarif --output scan.sarif
              warden model scan estimator.joblib --format json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case text, json, sarif
    }

    @Argument(help: "Files or folders to scan.") var paths: [String]

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding reaches this severity: critical, high, medium or low.")
    var failOn: Severity = .high

    @Option(help: "Report format: text, json or sarif (SARIF 2.1.0 for GitHub code scanning).")
    var format: Format = .text

    @Option(help: "Write the report to this file (atomically) instead of stdout.")
    var output: String?

    @Flag(name: .customLong("allow-symlinks"), help: "Follow symlinks inside folders (otherwise they are an error).")
    var allowSymlinks = false

    @OptionGroup var outputOptions: OutputOptions

    /// The command's settings as plain values (what the fast path builds without this command).
    var request: ModelScanRequest {
        ModelScanRequest(paths: paths, failOn: failOn, format: format, output: output, allowSymlinks: allowSymlinks,
                         json: outputOptions.json, quiet: outputOptions.quiet)
    }

    func validate() throws {
        try request.validate()
    }

    func run() async throws {
        try request.run()
    }

    /// The report as pretty JSON with sorted keys (the schema in docs/scanning.md).
    static func json(_ report: ScanReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The text table: one line per file, its findings below, a summary last, written into one
    /// string (see `Array.concatenated(separator:)` for why not `joined`).
    static func render(_ report: ScanReport) -> String {
        var text = ""
        func line(_ content: String) {
            text += content
            text += "\n"
        }
        let width = min(60, report.files.map(\.path.count).max() ?? 10)
        for file in report.files {
            let verdict = file.verdict == .unsafe ? "UNSAFE" : file.verdict.rawValue
            line("\(padded(file.path, to: width))  \(padded(file.format.rawValue, to: 22)) \(verdict)")
            for finding in file.findings {
                var place = ""
                if let member = finding.location.member { place += " in \(member)" }
                if let offset = finding.location.offset { place += " @\(offset)" }
                let construct = finding.construct.map { " [\($0)]" } ?? ""
                line("  \(padded(finding.severity.rawValue.uppercased(), to: 8)) \(finding.rule)\(construct)\(place)")
                line("           \(finding.message)")
                line("           fix: \(finding.fix)")
            }
        }
        text += summary(report)
        return text
    }

    /// `text` with spaces up to `width` characters (never cut). Foundation's `padding(toLength:)`
    /// bridges through NSString, which was 5 % of a whole-folder scan's CPU time.
    static func padded(_ text: String, to width: Int) -> String {
        let count = text.count
        return count >= width ? text : text + String(repeating: " ", count: width - count)
    }

    static func summary(_ report: ScanReport) -> String {
        let counts = report.counts
        var parts = ""
        for severity in Severity.allCases.reversed() {
            guard let count = counts[severity] else { continue }
            parts += (parts.isEmpty ? "; findings: " : ", ") + "\(count) \(severity)"
        }
        let unsafe = report.files.filter { $0.verdict == .unsafe }.count
        return "scanned \(report.files.count) file(s): \(unsafe) unsafe at --fail-on \(report.threshold)"
            + (parts.isEmpty ? ", no findings" : parts)
    }
}

extension Severity: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
