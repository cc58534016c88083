import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// Where the keyring is: `--keyring DIR`, else `WARDEN_KEYRING` (keys mounted at run time).
struct KeyringOption: ParsableArguments, Sendable {
    @Option(help: "Keyring folder (default: $WARDEN_KEYRING).")
    var keyring: String?

    init() {}

    func path() throws -> String {
        if let keyring { return keyring }
        if let value = ProcessInfo.processInfo.environment["WARDEN_KEYRING"], !value.isEmpty { return value }
        throw ValidationError("No keyring: pass --keyring DIR or set WARDEN_KEYRING (create one with 'warden keys init --keyring DIR')")
    }

    func open() throws -> Keyring { try Keyring.open(path()) }
}

/// `warden data encrypt IN --out OUT`.
struct DataEncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt a file at rest (streaming AES-256-GCM, data key wrapped by the keyring's current key).",
        discussion: """
            Each file gets a fresh data key, wrapped by the keyring's current key (its id is in the \
            header). The payload is encrypted in 64 KiB chunks whose order and end are authenticated, \
            so truncation, reordering and any changed byte are detected on decryption. Format: \
            docs/encryption.md.

            Example:
              warden keys init --keyring ~/.warden/keyring
              warden data encrypt data/train.csv --out data/train.csv.wenc --keyring ~/.warden/keyring
              WARDEN_KEYRING=/run/secrets/keyring warden data decrypt data/train.csv.wenc --out train.csv
            """
    )

    @Argument(help: "The file to encrypt.")
    var input: String

    @Option(help: "Where to write the encrypted file (written atomically).")
    var out: String

    @OptionGroup var keyring: KeyringOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let keys = try keyring.open()
        let bar = ProgressBar(label: "encrypting", enabled: !output.quiet)
        let total = (try? FileIO.size(of: input)) ?? 0
        // Inside a data repository the access event names the plaintext's digest (hashed in the same pass).
        let audited = DataAccessAudit.repository(for: input) != nil || DataAccessAudit.repository(for: out) != nil
        let summary = try EncryptedFile.encrypt(input, to: out, keyring: keys, digest: audited) { bar.update(done: $0, total: total) }
        bar.finish()
        try DataAccessAudit.record(
            "data.encrypt", file: input, alsoChecking: [out], digest: summary.plaintextDigest,
            details: [("out", .string(out)), ("key_id", .string(summary.keyID)), ("bytes", .int(summary.plaintextBytes))]
        )
        DataEncryptionReport.print(summary, verb: "encrypted", input: input, output: out, json: output.json)
    }
}

/// `warden data decrypt IN --out OUT`.
struct DataDecryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt a file made by 'warden data encrypt'; nothing is written unless all of it authenticates.",
        discussion: """
            The plaintext goes to a temporary file beside OUT and is renamed into place (mode 0600) \
            only after the last chunk authenticated. Exit 1 when the file was tampered with, \
            truncated or reordered; 2 when it is not an encrypted file or its key is not in the keyring.

            Example:
              warden data decrypt data/train.csv.wenc --out train.csv --keyring ~/.warden/keyring
            """
    )

    @Argument(help: "The encrypted file.")
    var input: String

    @Option(help: "Where to write the plaintext (mode 0600, written atomically).")
    var out: String

    @OptionGroup var keyring: KeyringOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let keys = try keyring.open()
        let bar = ProgressBar(label: "decrypting", enabled: !output.quiet)
        let total = (try? FileIO.size(of: input)) ?? 0
        let audited = DataAccessAudit.repository(for: input) != nil || DataAccessAudit.repository(for: out) != nil
        let summary: EncryptedFile.Summary
        do {
            summary = try EncryptedFile.decrypt(input, to: out, keyring: keys, digest: audited) { bar.update(done: $0, total: total) }
        } catch let failure as EncryptedFile.AuthenticationFailure {
            bar.finish()
            try DataAccessAudit.record(
                "data.decrypt.failed", file: input, alsoChecking: [out], digest: nil,
                details: [("out", .string(out)), ("reason", .string("authentication failed"))])
            throw CheckFailed(message: "error: \(failure.message)")
        }
        bar.finish()
        try DataAccessAudit.record(
            "data.decrypt", file: input, alsoChecking: [out], digest: summary.plaintextDigest,
            details: [("out", .string(out)), ("key_id", .string(summary.keyID)), ("bytes", .int(summary.plaintextBytes))]
        )
        DataEncryptionReport.print(summary, verb: "decrypted", input: input, output: out, json: output.json)
    }
}

/// The text or JSON report of an encryption or decryption.
enum DataEncryptionReport {
    static func print(_ summary: EncryptedFile.Summary, verb: String, input: String, output: String, json: Bool) {
        if json {
            Console.json([
                "result": .string(verb), "input": .string(input), "output": .string(output),
                "key_id": .string(summary.keyID), "plaintext_bytes": .int(summary.plaintextBytes),
                "ciphertext_bytes": .int(summary.ciphertextBytes), "chunks": .int(summary.chunks),
                "plaintext_digest": summary.plaintextDigest.map { JSONValue.string($0.description) } ?? JSONValue.null,
            ] as JSONValue)
        } else {
            Console.output("\(verb) \(input) → \(output) (\(ByteCount.format(summary.plaintextBytes)), key \(summary.keyID))")
        }
    }
}
