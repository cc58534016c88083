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
              warden serve --config warden.yaml
              warden serve --data /shared/blobs --database postgres://warden@db:5432/warden
              warden keys init --keyring ./keyring && warden serve --data ./secure-data --keyring ./keyring
            """
    )

    @Option(help: "Policy and settings file (warden.yaml, docs/configuration.md); flags override it.") var config: String?
    @Option(help: "Folder for the database and blobs (default: warden-data).") var data: String?
    @Option(help: "PostgreSQL URL (postgres://user:password@host:port/db) for metadata and the audit chain; replicas share it.")
    var database: String?
    @Option(help: "Address to listen on (default: 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (0: any free port; default: 8080).") var port: Int?
    @Option(name: .customLong("trusted-key"), help: "Public key whose signatures and attestations the gates accept (repeatable).")
    var trustedKeys: [String] = []
    @Option(help: "File holding the admin token (instead of WARDEN_ADMIN_TOKEN).") var adminTokenFile: String?
    @Option(help: "Keyring folder (warden keys init): encrypt artefacts at rest with it.") var keyring: String?
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate.") var tlsKey: String?
    @Flag(help: "Print a new random token (wdn_…) and exit.") var newToken = false

    /// warden.yaml (when given) with the flags on top.
    func configuration() throws -> ServerConfiguration {
        var configuration = try config.map { try ServerConfiguration(file: $0) } ?? ServerConfiguration()
        if let data { configuration.data = data }
        if let database { configuration.database.url = database }
        if let host { configuration.http.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("The port '\(port)' is not in 0…65535") }
            configuration.http.port = port
        }
        configuration.trustedKeys += trustedKeys
        if let adminTokenFile { configuration.auth.adminTokenFile = adminTokenFile }
        if let keyring { configuration.encryption.keyring = keyring }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("Give both --tls-certificate and --tls-key") }
        if let tlsCertificate, let tlsKey {
            configuration.http.tlsCertificate = tlsCertificate
            configuration.http.tlsKey = tlsKey
        }
        return configuration
    }

    func run() async throws {
        if newToken {
            Console.output(APIToken.issue(for: "admin", name: "new", now: 0).plaintext)
            return
        }
        let configuration = try configuration()
        var token = ProcessInfo.processInfo.environment["WARDEN_ADMIN_TOKEN"]
        if let file = configuration.auth.adminTokenFile {
            token = String(decoding: try FileIO.readAll(file, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var logger = Logger(label: "warden.serve")
        logger.logLevel = .info
        let server = try await RegistryServer.open(configuration: configuration, adminToken: token, logger: logger)
        let host = configuration.http.host
        try await server.run(host: host, port: configuration.http.port, logger: logger) { bound in
            Console.error("warden registry listening on \(server.usesTLS ? "https" : "http")://\(host):\(bound) (data: \(server.dataDirectory))")
        }
    }
}
