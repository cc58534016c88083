import ArgumentParser
import Foundation
import WardenCore
import WardenData

/// `warden data pii scan|mask`: find and mask personal data and secrets in CSV, JSONL and text.
struct DataPIICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pii",
        abstract: "Find and mask PII and secrets in CSV, JSONL and text files.",
        discussion: """
            Detects e-mail addresses, phone numbers (NANP, E.164, UK/DE/FR/IN formats), US SSNs, \
            payment cards (issuer ranges + Luhn), IBANs (mod-97), IPv4/IPv6 addresses and secrets \
            (AWS, GitHub, Slack, Stripe, Google, OpenAI keys, private keys, JWTs, high-entropy \
            tokens). Check digits and ranges are validated, so invalid card numbers, impossible \
            SSNs, order numbers, version strings, dates and UUIDs are left alone. See docs/pii.md.

            Example:
              warden data pii scan data/customers.csv
              warden data pii mask data/customers.csv --out data/customers.masked.csv --mode partial
            """,
        subcommands: [Scan.self, Mask.self]
    )
}

/// Options the two subcommands share.
struct PIIInputOptions: ParsableArguments, Sendable {
    @Option(help: "csv, jsonl or text (default: from the file name and first bytes).") var format: PIIFileFormat?
    @Option(
        parsing: .upToNextOption,
        help: "Only these CSV columns or JSON key paths (a path also selects what is below it).")
    var columns: [String] = []
    @Option(help: "Only these types, comma-separated (email, phone, ssn, credit_card, iban, ipv4, ipv6, secret).")
    var types: String?

    func detector() throws -> PIIDetector {
        guard let types else { return PIIDetector() }
        var set = Set<PIIType>()
        for name in types.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let type = PIIType(name: name) else {
                throw ValidationError("Unknown PII type '\(name)' (known: \(PIIType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            set.insert(type)
        }
        return PIIDetector(types: set)
    }

    var fields: [String]? { columns.isEmpty ? nil : columns }
}

extension PIIFileFormat: ExpressibleByArgument {}
extension PIIMaskingMode: ExpressibleByArgument {}

extension DataPIICommand {
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Count the PII in a file per column (CSV), key path (JSONL) or line (text).",
            discussion: """
                Reports counts per field and type and sample locations (row, line, field) with the \
                values partially masked; the report never shows a value in full. Streams the file.

                Exit codes: 0 no PII found (or --exit-zero) · 1 PII found · 2 unreadable or \
                malformed input (the error names the line).

                Example:
                  warden data pii scan data/customers.csv
                  warden data pii scan logs/app.log --format text --json
                  warden data pii scan events.jsonl --columns user.email user.phone
                """
        )

        @Argument(help: "The file to scan.") var file: String
        @OptionGroup var input: PIIInputOptions
        @Flag(help: "Exit 0 even when PII is found.") var exitZero = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let scanner = PIIScanner(detector: try input.detector())
            let report = try scanner.scan(file, format: input.format, fields: input.fields)
            try DataAccessAudit.record(
                "data.pii.scan", file: file, digest: report.digest,
                details: [("format", .string(report.format.rawValue)), ("rows", .int(Int64(report.rows))), ("found", PIIReportPrinter.totals(report))])
            if output.json {
                try Console.json(report)
            } else {
                PIIReportPrinter.print(report, verb: "found")
            }
            if report.total > 0 && !exitZero { throw CheckFailed() }
        }
    }

    struct Mask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mask",
            abstract: "Write a copy of a file with its PII masked (redact, partial or pseudonym).",
            discussion: """
                redact writes type tags ([EMAIL], [PHONE], [SSN], [CARD], [IBAN], [IP], [SECRET]); \
                partial keeps the last 4 digits of cards and SSNs, an e-mail's domain, an IBAN's \
                country, an address's /16; pseudonym writes keyed HMAC-SHA256 tokens \
                (email_1a2b3c4d5e6f@pseudo.invalid, phone_…, 240.x.y.z) that are the same in every run \
                with the same secret. The secret is read from the environment variable named by \
                --secret-env and is never printed or logged. OUT is written atomically: on any error \
                nothing is left behind. Untouched fields and lines are copied byte for byte.

                Exit codes: 0 written · 2 bad usage, missing secret, unreadable or malformed input.

                Example:
                  warden data pii mask data/customers.csv --out data/customers.masked.csv
                  WARDEN_PII_SECRET=$(openssl rand -hex 32) warden data pii mask events.jsonl --out events.pseudo.jsonl --mode pseudonym --secret-env WARDEN_PII_SECRET
                  warden data pii mask data/customers.csv --out masked.csv --mode partial --columns email phone
                """
        )

        @Argument(help: "The file to mask.") var file: String
        @Option(help: "Where to write the masked copy.") var out: String
        @Option(help: "redact (default), partial or pseudonym.") var mode: PIIMaskingMode = .redact
        @Option(help: "The environment variable holding the pseudonym secret (≥ 16 bytes).") var secretEnv: String?
        @OptionGroup var input: PIIInputOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if mode == .pseudonym && secretEnv == nil {
                throw ValidationError("--mode pseudonym needs --secret-env VAR (an environment variable holding the secret)")
            }
        }

        func run() async throws {
            var pseudonymizer: PIIPseudonymizer?
            if mode == .pseudonym, let secretEnv {
                guard let secret = ProcessInfo.processInfo.environment[secretEnv], !secret.isEmpty else {
                    throw ValidationError("The environment variable '\(secretEnv)' is not set or empty")
                }
                pseudonymizer = try PIIPseudonymizer(secret: Array(secret.utf8))
            }
            let masker = try PIIMasker(mode: mode, detector: try input.detector(), pseudonymizer: pseudonymizer)
            let report = try PIIScanner().mask(file, to: out, masker: masker, format: input.format, fields: input.fields)
            try DataAccessAudit.record(
                "data.pii.mask", file: file, digest: report.digest,
                details: [("mode", .string(mode.rawValue)), ("out", .string(out)), ("rows", .int(Int64(report.rows))), ("masked", PIIReportPrinter.totals(report))])
            if output.json {
                try Console.json(report)
            } else {
                PIIReportPrinter.print(report, verb: "masked")
                Console.output("wrote \(out) (\(mode.rawValue))")
            }
        }
    }
}

/// The text form of a ``PIIScanReport``.
enum PIIReportPrinter {
    /// Matches per type, for audit details (counts only, never values).
    static func totals(_ report: PIIScanReport) -> JSONValue {
        .object(report.totals.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int(Int64($0.value))) })
    }

    static func print(_ report: PIIScanReport, verb: String) {
        let unit = report.format == .csv ? "row(s)" : "line(s)"
        Console.output("\(report.file) (\(report.format.rawValue), \(report.rows) \(unit)): \(verb) \(report.total) PII value(s)")
        guard !report.fields.isEmpty else { return }
        let width = max(12, report.fields.map(\.field.count).max() ?? 0)
        Console.output("  " + "field".padding(toLength: width, withPad: " ", startingAt: 0) + "  type          count")
        for f in report.fields {
            Console.output("  " + f.field.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + f.type.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + "  \(f.count)")
        }
        Console.output("samples:")
        for s in report.samples {
            Console.output("  row \(s.row) (line \(s.line)) \(s.field): \(s.masked)  [\(s.type.rawValue)/\(s.rule)]")
        }
    }
}
