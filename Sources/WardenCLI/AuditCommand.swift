import ArgumentParser
import Foundation
import WardenCore

/// `warden audit verify|export`: the tamper-evident audit chains every Warden store keeps.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and export audit chains (data repositories today; the registry later).",
        discussion: """
            Example:
              warden audit verify --repository .
              warden audit export --file audit.jsonl --format cef --output audit.cef
            """,
        subcommands: [Verify.self, Export.self]
    )

    /// Where a chain is: an exported or local JSONL file, or a data repository's chain.
    struct ChainSource: ParsableArguments, Sendable {
        @Option(help: "An audit chain as JSONL (an export, or .warden/audit.jsonl).") var file: String?
        @Option(help: "A data repository folder (its .warden/audit.jsonl).") var repository: String?

        func path() throws -> String {
            switch (file, repository) {
            case (let file?, nil): return file
            case (nil, let repository?): return repository + "/.warden/audit.jsonl"
            case (nil, nil):
                let local = ".warden/audit.jsonl"
                guard FileIO.kind(of: local) == .regular else {
                    throw ValidationError("Give --file FILE or --repository DIR (no .warden/audit.jsonl here)")
                }
                return local
            default: throw ValidationError("Give either --file or --repository, not both")
            }
        }
    }
}

extension AuditCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's hash and link; exit 1 naming the first edited, removed or reordered entry.",
            discussion: """
                Example:
                  warden audit verify --file audit-export.jsonl
                  warden audit verify --repository . --json
                """
        )

        @OptionGroup var source: ChainSource
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let path = try source.path()
            guard FileIO.kind(of: path) == .regular else { throw WardenError.notFound("'\(path)' does not exist") }
            let log = AuditLogFile(path: path)
            let broken = try log.verify()
            let count = broken == nil ? try log.events().count : 0
            if output.json {
                Console.json([
                    "file": .string(path), "ok": .bool(broken == nil), "entries": .int(Int64(count)),
                    "first_bad_seq": broken.map { .int($0.seq) } ?? .null, "reason": broken.map { .string($0.reason) } ?? .null,
                ] as JSONValue)
            } else if let broken {
                Console.output("BROKEN: '\(path)': \(broken)")
            } else {
                Console.output("Intact: '\(path)' (\(count) entries)")
            }
            if broken != nil { throw CheckFailed() }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export an audit chain as JSONL (verifiable) or CEF (for a SIEM).",
            discussion: """
                JSONL keeps every field, so `warden audit verify --file` checks the export. CEF lines \
                follow ArcSight's Common Event Format 0 (Warden|warden|VERSION|action|action|severity|…).

                Example:
                  warden audit export --repository . --format cef --output audit.cef
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
            case jsonl, cef
        }

        @OptionGroup var source: ChainSource
        @Option(help: "jsonl or cef.") var format: Format = .jsonl
        @Option(help: "Write here instead of stdout (atomically).") var output: String?

        func run() async throws {
            let events = try AuditLogFile(path: try source.path()).events()
            let lines = events.map { format == .jsonl ? $0.line : CEF.line(for: $0) }
            let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
            if let output {
                try FileIO.writeAtomically(text, to: output)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}

/// ArcSight Common Event Format lines for audit events.
enum CEF {
    static func line(for event: AuditEvent) -> String {
        let severity = event.action.hasPrefix("auth.denied") || event.action.hasSuffix(".denied") ? 7 : 3
        let extensions = [
            "rt=\(escapeExtension(event.time))", "suser=\(escapeExtension(event.actor))", "act=\(escapeExtension(event.action))",
            "fname=\(escapeExtension(event.subject))", "cs1Label=seq", "cs1=\(event.seq)", "cs2Label=hash",
            "cs2=\(escapeExtension(event.hash))", "cs3Label=details", "cs3=\(escapeExtension(event.details.canonicalString))",
        ]
        let header = ["CEF:0", "Warden", "warden", Warden.version, event.action, event.action, "\(severity)"].map(escapeHeader)
        return header.joined(separator: "|") + "|" + extensions.joined(separator: " ")
    }

    /// Header fields escape `\` and `|`.
    static func escapeHeader(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
    }

    /// Extension values escape `\`, `=` and line breaks.
    static func escapeExtension(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "=", with: "\\=")
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }
}
