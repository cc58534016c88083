import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden attest verify|show`: check and read DSSE attestations (SLSA provenance, data provenance).
struct AttestationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Verify and read signed in-toto attestations (DSSE envelopes).",
        discussion: """
            Example:
              warden attest verify model.provenance.json --key keys/public.pem --subject model.onnx
              warden attest show model.provenance.json
            """,
        subcommands: [Verify.self, Show.self]
    )
}

extension AttestationCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify an attestation's signature and that files match its subjects.",
            discussion: """
                Exit 0 when the signature verifies with the key and every --subject file's SHA-256 \
                is one of the statement's subjects; 1 when not (naming the file, expected and actual \
                digests); 2 when the envelope or key cannot be read.

                Example:
                  warden attest verify model.provenance.json --key keys/public.pem --subject model.onnx
                """
        )

        @Argument(help: "The attestation (a DSSE envelope JSON file).") var envelope: String
        @Option(help: "PEM public key of the signer.") var key: String
        @Option(name: .customLong("subject"), help: "A file that must be one of the subjects (repeatable).") var subjects: [String] = []
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let publicKey = try PublicKey(file: key)
            let parsed = try AttestationVerifier.envelope(from: try FileIO.readAll(envelope, limit: 64 << 20), source: "'\(envelope)'")
            var files: [(path: String, digest: Digest)] = []
            for path in subjects {
                guard FileIO.kind(of: path) == .regular else { throw WardenError.notFound("The subject '\(path)' is not a readable file") }
                files.append((path, try Digest.sha256(ofFile: path)))
            }
            let report = try AttestationVerifier(key: publicKey).verify(parsed, source: "'\(envelope)'", files: files)
            if output.json {
                try Console.json(report)
            } else if report.verified {
                Console.output("Verified: '\(envelope)' is signed by the \(report.keyType) key (\(report.predicateType ?? "?"), \(report.subjects.count) subject(s))")
                for check in report.subjectChecks { Console.output("  ✓ \(check.path) \(check.actual)") }
            } else if !report.signatureValid {
                Console.output("NOT VERIFIED: '\(envelope)': the signature does not verify with '\(key)'")
            } else {
                Console.output("NOT VERIFIED: '\(envelope)': a file does not match its subject")
                for check in report.subjectChecks where !check.matches {
                    Console.output("  ✗ \(check.path): expected \(check.expected ?? "(no subject with this name)"), actual \(check.actual)")
                }
            }
            if !report.verified { throw CheckFailed() }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the statement inside an attestation (without verifying it).",
            discussion: """
                Example:
                  warden attest show model.provenance.json
                """
        )

        @Argument(help: "The attestation (a DSSE envelope JSON file).") var envelope: String

        func run() async throws {
            let parsed = try AttestationVerifier.envelope(from: try FileIO.readAll(envelope, limit: 64 << 20), source: "'\(envelope)'")
            let json = try JSONParser().parse(parsed.payload, source: "the payload of '\(envelope)'")
            Console.json(json)
        }
    }
}
