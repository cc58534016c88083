import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden keys init --keyring DIR`.
struct KeyringInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a keyring (DIR/keyring.json, mode 0600) with one AES-256 key for 'warden data encrypt'.",
        discussion: """
            Keep the keyring out of the repository and back it up: files encrypted with its keys \
            cannot be decrypted without it. Point WARDEN_KEYRING at it to avoid --keyring.

            Example:
              warden keys init --keyring ~/.warden/keyring
            """
    )

    @OptionGroup var keyring: KeyringOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let directory = try keyring.path()
        let created = try Keyring.create(at: directory)
        if output.json {
            Console.json(["keyring": .string(directory), "current": .string(created.currentID), "keys": 1] as JSONValue)
        } else {
            Console.output("Created keyring \(directory) with key \(created.currentID) (mode 0600; back it up, keep it secret)")
        }
    }
}

/// `warden keys rotate --keyring DIR [--rewrap PATH]…`.
struct KeyringRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Add a new current key; optionally re-wrap encrypted files to it without re-encrypting their data.",
        discussion: """
            Old keys stay in the keyring so files wrapped with them still decrypt. --rewrap replaces \
            each encrypted file's wrapped data key (in folders: every file with a Warden encryption \
            header) with one wrapped by the new key; the payload is copied, never decrypted.

            Example:
              warden keys rotate --keyring ~/.warden/keyring --rewrap data/
            """
    )

    @OptionGroup var keyring: KeyringOption

    @Option(help: "An encrypted file or a folder of them to re-wrap with the new key (repeatable).")
    var rewrap: [String] = []

    @OptionGroup var output: OutputOptions

    func run() async throws {
        var keys = try keyring.open()
        let previous = keys.currentID
        let id = try keys.rotate()
        let results = try KeyringRewrap.run(rewrap, keyring: keys)
        if output.json {
            Console.json([
                "keyring": .string(keys.directory), "previous": .string(previous), "current": .string(id),
                "rewrapped": .array(results.rewrapped.map { .string($0) }), "unchanged": .array(results.unchanged.map { .string($0) }),
            ] as JSONValue)
        } else {
            Console.output("New current key \(id) in \(keys.directory) (previous \(previous) kept for old files)")
            KeyringRewrap.printText(results)
        }
    }
}

/// `warden keys rewrap --keyring DIR PATH…`.
struct KeyringRewrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrap",
        abstract: "Re-wrap encrypted files with the keyring's current key (the payload is not re-encrypted).",
        discussion: """
            Example:
              warden keys rewrap --keyring ~/.warden/keyring data/train.csv.wenc data/encrypted/
            """
    )

    @OptionGroup var keyring: KeyringOption

    @Argument(help: "Encrypted files or folders of them.")
    var paths: [String]

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let keys = try keyring.open()
        let results = try KeyringRewrap.run(paths, keyring: keys)
        if output.json {
            Console.json([
                "current": .string(keys.currentID),
                "rewrapped": .array(results.rewrapped.map { .string($0) }), "unchanged": .array(results.unchanged.map { .string($0) }),
            ] as JSONValue)
        } else {
            KeyringRewrap.printText(results)
        }
    }
}

/// `warden keys list --keyring DIR`.
struct KeyringListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the keyring's key ids and which one is current (never the key material).",
        discussion: """
            Example:
              warden keys list --keyring ~/.warden/keyring --json
            """
    )

    @OptionGroup var keyring: KeyringOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let keys = try keyring.open()
        if output.json {
            Console.json([
                "keyring": .string(keys.directory), "current": .string(keys.currentID),
                "keys": .array(keys.keys.map { ["id": .string($0.id), "created": .string($0.created)] as JSONValue }),
            ] as JSONValue)
        } else {
            for key in keys.keys {
                Console.output("\(key.id == keys.currentID ? "*" : " ") \(key.id)  created \(key.created)")
            }
        }
    }
}

/// Re-wraps the encrypted files among paths (folders are walked; plain files in them are skipped).
enum KeyringRewrap {
    struct Results {
        var rewrapped: [String] = []
        var unchanged: [String] = []
    }

    static func run(_ paths: [String], keyring: Keyring) throws -> Results {
        var results = Results()
        for path in paths {
            switch FileIO.kind(of: path) {
            case .directory:
                for file in try encryptedFiles(in: path) { try rewrap(file, keyring: keyring, into: &results) }
            case .missing:
                throw WardenError.notFound("'\(path)' does not exist")
            default:
                try rewrap(path, keyring: keyring, into: &results)
            }
        }
        return results
    }

    static func rewrap(_ file: String, keyring: Keyring, into results: inout Results) throws {
        do {
            if try EncryptedFile.rewrap(file, keyring: keyring) {
                results.rewrapped.append(file)
            } else {
                results.unchanged.append(file)
            }
        } catch let failure as EncryptedFile.AuthenticationFailure {
            throw CheckFailed(message: "error: \(failure.message)")
        }
    }

    /// Regular files under `folder` that start with the encrypted-file magic, sorted.
    static func encryptedFiles(in folder: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw WardenError.io("Cannot read the folder '\(folder)'")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = folder + "/" + relative
            guard FileIO.kind(of: path) == .regular,
                let head = try? FileIO.readPrefix(path, count: EncryptedFileHeader.magic.count),
                head == EncryptedFileHeader.magic
            else { continue }
            files.append(path)
        }
        return files.sorted()
    }

    static func printText(_ results: Results) {
        for file in results.rewrapped { Console.output("re-wrapped \(file)") }
        for file in results.unchanged { Console.output("already current: \(file)") }
    }
}
