import ArgumentParser
import Foundation
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenServer

/// `warden serve`: the registry server (the inference gateway joins it later).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the model registry server (HTTP API /api/v1, SQLite + content-addressed blobs under --data).",
        discussion: """
            On an empty data folder, the first admin is seeded from WARDEN_ADMIN_TOKEN (or \
            --admin-token-file); `warden serve --new-token` prints a fresh token to use. Versions \
            must be signed and attested by a --trusted-key to pass the production gates.

            Example:
              export WARDEN_ADMIN_TOKEN=$(warden serve --new-token)
              warden serve --data ./warden-data --port 8080 --trusted-key keys/public.pem
            """
    )

    @Option(help: "Folder for the database and blobs.") var data: String = "warden-data"
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port: Int = 8080
    @Option(name: .customLong("trusted-key"), help: "Public key whose signatures and attestations the gates accept (repeatable).")
    var trustedKeys: [String] = []
    @Option(help: "File holding the admin token (instead of WARDEN_ADMIN_TOKEN).") var adminTokenFile: String?
    @Flag(help: "Print a new random token (wdn_…) and exit.") var newToken = false

    func run() async throws {
        if newToken {
            Console.output(APIToken.issue(for: "admin", name: "new", now: 0).plaintext)
            return
        }
        var token = ProcessInfo.processInfo.environment["WARDEN_ADMIN_TOKEN"]
        if let adminTokenFile {
            token = String(decoding: try FileIO.readAll(adminTokenFile, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let keys = try trustedKeys.map { try PublicKey(file: $0) }
        let server = try await RegistryServer.open(data: data, trustedKeys: keys, adminToken: token)
        var logger = Logger(label: "warden.serve")
        logger.logLevel = .info
        let host = self.host
        try await server.run(host: host, port: port, logger: logger) { bound in
            Console.error("warden registry listening on http://\(host):\(bound) (data: \(server.dataDirectory))")
        }
    }
}
