import ArgumentParser
import Foundation
import WardenCore
import WardenCrypto

/// `warden keys …`: signing keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create signing keys and manage the keyring that encrypts data at rest.",
        discussion: """
            Example:
              warden keys generate --type p256 --out keys
              warden keys init --keyring ~/.warden/keyring
              warden keys rotate --keyring ~/.warden/keyring --rewrap data/
            """,
        subcommands: [Generate.self, KeyringInitCommand.self, KeyringRotateCommand.self, KeyringRewrapCommand.self, KeyringListCommand.self]
    )
}

extension KeysCommand {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Generate a signing key pair: DIR/private.pem (mode 0600) and DIR/public.pem.",
            discussion: """
                p256, p384 and p521 keys make OpenSSF model signatures that the Python model-signing \
                package verifies. ed25519 is a Warden extension: model-signing cannot verify those.

                Example:
                  warden keys generate --type p256 --out keys
                """
        )

        @Option(help: "Key type: p256, p384, p521 or ed25519.")
        var type: KeyType = .p256

        @Option(help: "Folder to write private.pem and public.pem into (created if missing).")
        var out: String

        @Flag(help: "Replace existing key files.")
        var force = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            try FileIO.makeDirectory(out)
            let privatePath = out + "/private.pem"
            let publicPath = out + "/public.pem"
            if !force {
                for path in [privatePath, publicPath] where FileIO.kind(of: path) != .missing {
                    throw ValidationError("'\(path)' already exists; pass --force to replace it")
                }
            }
            let key = SigningKey(generating: type)
            try FileIO.writeAtomically(key.pkcs8PEMText, to: privatePath, mode: 0o600)
            try FileIO.writeAtomically(key.publicKey.pemText, to: publicPath, mode: 0o644)
            if output.json {
                Console.json([
                    "type": .string(type.rawValue), "private_key": .string(privatePath),
                    "public_key": .string(publicPath), "key_id": .string(key.publicKey.keyID),
                    "oms_compatible": .bool(type.isOMSCompatible),
                ] as JSONValue)
            } else {
                Console.output("Generated a \(type.rawValue) key pair")
                Console.output("  private key: \(privatePath) (mode 0600, keep it secret)")
                Console.output("  public key:  \(publicPath)")
                if !type.isOMSCompatible {
                    Console.output("  note: ed25519 is a Warden extension; model-signing cannot verify its signatures")
                }
            }
        }
    }
}

extension KeyType: ExpressibleByArgument {}
