import ArgumentParser
import Foundation
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenRegistryPostgres
import WardenRegistrySQLite

/// `warden audit verify|export`: the tamper-evident audit chains every Warden store keeps.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and export audit chains: data repositories, registry servers, exports.",
        discussion: """
            Example:
              warden audit verify --repository .
              warden audit verify --data ./warden-data
              warden audit export --file audit.jsonl --format cef --output audit.cef
            """,
        subcommands: [Verify.self, Export.self]
    )

    /// Where a chain is: an exported or local JSONL file, a data repository's chain, or a
    /// registry server's database.
    struct ChainSource: ParsableArguments, Sendable {
        @Option(help: "An audit chain as JSONL (an export, or .warden/audit.jsonl).") var file: String?
        @Option(help: "A data repository folder (its .warden/audit.jsonl).") var repository: String?
        @Option(help: "A registry data folder (warden serve --data; its registry.sqlite).") var data: String?
        @Option(help: "A registry's PostgreSQL database (postgres://…).") var database: String?

        /// The registry store named by --data or --database, if that is the source.
        func store() async throws -> (any RegistryStore)? {
            if let database {
                guard file == nil, repository == nil, data == nil else { throw ValidationError("Give one of --file, --repository, --data or --database") }
                var logger = Logger(label: "warden.audit")
                logger.logLevel = .error
                return try await PostgresRegistryStore.connect(url: database, maxConnections: 2, logger: logger)
            }
            guard let data else { return nil }
            guard file == nil, repository == nil else { throw ValidationError("Give one of --file, --repository, --data or --database") }
            let path = data + "/registry.sqlite"
            guard FileIO.kind(of: path) == .regular else { throw WardenError.notFound("'\(data)' holds no registry.sqlite; is it a `warden serve --data` folder?") }
            return try SQLiteRegistryStore(path: path)
        }

        /// A description of the source for messages.
        var name: String {
            if let database { return PostgresRegistryStore.redacted(database) }
            return data.map { $0 + "/registry.sqlite" } ?? (try? path()) ?? "?"
        }

        func path() throws -> String {
            switch (file, repository) {
            case (let file?, nil): return file
            case (nil, let repository?): return repository + "/.warden/audit.jsonl"
            case (nil, nil):
                let local = ".warden/audit.jsonl"
                guard FileIO.kind(of: local) == .regular else {
                    throw ValidationError("Give --file FILE, --repository DIR or --data DIR (no .warden/audit.jsonl here)")
                }
                return local
            default: throw ValidationError("Give one of --file, --repository or --data")
            }
        }

        /// Every event in chain order, page by page (constant memory for files and stores).
        func forEachEvent(_ body: (AuditEvent) throws -> Bool) async throws {
            if let store = try await store() {
                defer { (store as? PostgresRegistryStore)?.shutdown() }
                var next: Int64 = 1
                while true {
                    let page = try await store.auditEvents(from: next, limit: 10_000)
                    for event in page where try !body(event) { return }
                    guard let last = page.last, page.count == 10_000 else { return }
                    next = last.seq + 1
                }
            }
            let path = try path()
            guard FileIO.kind(of: path) == .regular else { throw WardenError.notFound("'\(path)' does not exist") }
            for event in try AuditLogFile(path: path).events() where try !body(event) { return }
        }
    }
}

extension AuditCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every entry's hash and link; exit 1 naming the first edited, removed or reordered entry.",
            discussion: """
                Example:
                  warden audit verify --file audit-export.jsonl
                  warden audit verify --data ./warden-data --key server-public.pem
                  warden audit verify --repository . --json
                """
        )

        @OptionGroup var source: ChainSource
        @Option(name: .customLong("key"), help: "Server public key: every signed checkpoint in the chain must verify with one of these (repeatable).")
        var keys: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let publicKeys = try keys.map { try PublicKey(file: $0) }
            var verifier = AuditChain().verifier()
            var checkpoints = AuditCheckpoints.Verifier(keys: publicKeys)
            var broken: AuditChain.Break?
            try await source.forEachEvent { event in
                broken = verifier.check(event)
                if broken == nil { checkpoints.check(event) }
                return broken == nil
            }
            let count = verifier.count
            let path = source.name
            let report = checkpoints.report
            let checkpointFailure = publicKeys.isEmpty ? nil : report.failure
            let ok = broken == nil && checkpointFailure == nil
            if output.json {
                Console.json([
                    "file": .string(path), "ok": .bool(ok), "entries": .int(Int64(count)),
                    "first_bad_seq": broken.map { .int($0.seq) } ?? .null, "reason": broken.map { .string($0.reason) } ?? .null,
                    "checkpoints": .int(Int64(report.checkpoints)), "checkpoints_verified": .int(Int64(report.verified)),
                    "checkpoint_failure": checkpointFailure.map { JSONValue.string($0) } ?? .null,
                ] as JSONValue)
            } else if let broken {
                Console.output("BROKEN: '\(path)': \(broken)")
            } else if let checkpointFailure {
                Console.output("BROKEN: '\(path)': \(checkpointFailure)")
            } else {
                let signed = publicKeys.isEmpty ? "" : ", \(report.verified) signed checkpoint(s) verified"
                Console.output("Intact: '\(path)' (\(count) entries\(signed))")
            }
            if !ok { throw CheckFailed() }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export an audit chain as JSONL (verifiable) or CEF (for a SIEM).",
            discussion: """
                JSONL keeps every field, so `warden audit verify --file` checks the export. CEF lines \
                follow ArcSight's Common Event Format 0 (Warden|warden|VERSION|action|action|severity|…).

                Example:
                  warden audit export --repository . --format cef --output audit.cef
                  warden audit export --data ./warden-data --format jsonl --output registry-audit.jsonl
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
            case jsonl, cef
        }

        @OptionGroup var source: ChainSource
        @Option(help: "jsonl or cef.") var format: Format = .jsonl
        @Option(help: "Write here instead of stdout (atomically).") var output: String?

        func run() async throws {
            var lines: [String] = []
            try await source.forEachEvent { event in
                lines.append(format == .jsonl ? event.line : CEF.line(for: event))
                return true
            }
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
