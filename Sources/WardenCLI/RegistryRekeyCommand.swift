import ArgumentParser
import Foundation
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenRegistryPostgres
import WardenRegistrySQLite
import WardenServer

extension RegistryCommand {
    /// `warden registry rekey --data DIR --keyring DIR [--database URL] [--reencrypt]`.
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rekey",
            abstract: "Move every artefact blob of an encrypted registry store onto the keyring's current key.",
            discussion: """
                Run it on the server's data folder after `warden keys rotate`. Each blob's data key \
                is re-wrapped with the current key (the payload is copied unchanged); --reencrypt \
                also draws a fresh data key and re-encrypts the payload (its plaintext digest is \
                checked before the rename). Every blob is replaced atomically (temp file, fsync, rename), and each move is \
                journalled and audited in the registry database (artefact.rekey.begin, \
                artefact.rekey, then one registry.rekey summary), so an interrupted run is simply run \
                again: blobs already on the current key are skipped and the record of one moved \
                just before the crash is completed. When every blob is on the current key, \
                blobs/encryption.json names it and older keys may leave the keyring.

                Stop the server first, or run it while a server started with the rotated keyring \
                serves (a server holding only the old keyring cannot read moved blobs until it is \
                restarted with the new one).

                Exit codes: 0 every blob is on the current key · 1 some blobs could not be moved \
                (key not in the keyring, authentication failed, damaged; each is named) · 2 bad \
                input (not an encrypted store, wrong keyring, another rekey running) · 3 internal.

                Example:
                  warden keys rotate --keyring /etc/warden/keyring
                  warden registry rekey --data /var/lib/warden --keyring /etc/warden/keyring
                  warden registry rekey --data /var/lib/warden --keyring /etc/warden/keyring --reencrypt --json
                """
        )
        @Option(help: "The registry's data folder (warden serve --data): its blobs/ and, without --database, registry.sqlite.")
        var data: String
        @OptionGroup var keyring: KeyringOption
        @Option(help: "The registry's PostgreSQL database (postgres://…) when it keeps its metadata there.") var database: String?
        @Flag(help: "Re-encrypt each payload under a fresh data key (default: re-wrap the data key only).") var reencrypt = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let keys = try keyring.open()
            let store: any RegistryStore
            if let database {
                var logger = Logger(label: "warden.rekey")
                logger.logLevel = .error
                store = try await PostgresRegistryStore.connect(url: database, maxConnections: 2, logger: logger)
            } else {
                let path = data + "/registry.sqlite"
                guard FileIO.kind(of: path) == .regular else {
                    throw WardenError.notFound("'\(data)' holds no registry.sqlite; is it a `warden serve --data` folder? (PostgreSQL: --database)")
                }
                store = try SQLiteRegistryStore(path: path)
            }
            let user = ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
            let rekey = BlobRekey(data: data, keyring: keys, store: store, actor: "rekey (\(user))")
            let bar = ProgressBar(label: reencrypt ? "re-encrypting" : "re-wrapping", unit: .items("blobs"), enabled: !output.quiet)
            let summary = try await rekey.run(mode: reencrypt ? .reencrypt : .rewrap) { done, total in
                bar.update(done: Int64(done), total: Int64(total))
            }
            bar.finish()
            if output.json {
                Console.json(Self.json(summary))
            } else {
                Console.output(
                    "\(summary.rekeyed) of \(summary.blobs) blob(s) \(reencrypt ? "re-encrypted" : "re-wrapped") to key \(summary.currentKey) "
                        + "(\(ByteCount.format(summary.bytes))); \(summary.alreadyCurrent) already on it"
                        + (summary.resumed > 0 ? "; \(summary.resumed) completed from an interrupted run" : ""))
                for failure in summary.failures { Console.error("error: \(failure.message)") }
                if summary.complete { Console.output("every blob is on \(summary.currentKey); older keys are no longer needed by this store") }
            }
            if !summary.failures.isEmpty { throw CheckFailed(message: output.json ? "" : "\(summary.failures.count) blob(s) not moved") }
        }

        static func json(_ summary: BlobRekey.Summary) -> JSONValue {
            [
                "ok": .bool(summary.failures.isEmpty), "current_key": .string(summary.currentKey), "mode": .string(summary.mode.rawValue),
                "blobs": .int(Int64(summary.blobs)), "rekeyed": .int(Int64(summary.rekeyed)), "already_current": .int(Int64(summary.alreadyCurrent)),
                "resumed": .int(Int64(summary.resumed)), "removed_temp_files": .int(Int64(summary.removedTempFiles)), "bytes": .int(summary.bytes),
                "complete": .bool(summary.complete),
                "failures": .array(
                    summary.failures.map {
                        ["digest": .string($0.digest), "key": $0.keyID.map { .string($0) } ?? .null, "kind": .string($0.kind.rawValue), "message": .string($0.message)]
                    }),
            ]
        }
    }
}
