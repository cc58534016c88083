import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import WardenCore

extension RegistryServer {
    /// Runs the HTTP server (HTTPS when warden.yaml names `http.tls`) until cancelled or
    /// signalled (SIGTERM, SIGINT); `onRunning` gets the bound port (useful with port 0).
    /// Cancellation shuts down gracefully, as a signal does: the server stops accepting, hands every
    /// connection already accepted to a handler and lets in-flight requests finish. (Cancelling the
    /// server's task directly would drop connections still queued between accept and handler, which
    /// swift-nio stops the process for: "Deinited NIOAsyncWriter without calling finish()".) Then the
    /// gateway's queued audit events are committed (``AuditQueue/drain()``).
    public func run(host: String, port: Int, logger: Logger = Logger(label: "warden.serve"), onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let application = Application(
            router: router(),
            server: try serverBuilder(),
            configuration: .init(address: .hostname(host, port: port), serverName: "warden"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // Unstructured, so that our caller's cancellation does not reach the server's accept loop.
        let running = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await running.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch {
            await auditQueue.drain()
            throw error
        }
        // The gateway's batched audit events still waiting are committed before the process ends.
        await auditQueue.drain()
    }

    /// Waits until the gateway's queued audit events (predictions, adversarial flags) are in the
    /// chain; false when the last commit failed.
    @discardableResult
    public func commitQueuedAudit() async -> Bool { await auditQueue.drain() }

    /// Whether the server speaks HTTPS.
    public var usesTLS: Bool { configuration.http.tlsCertificate != nil }

    /// HTTP/1.1, wrapped in TLS (1.2 or newer) when a certificate and key are configured.
    /// Connections idle for `http.idle_timeout` are closed, and so is every connection right after
    /// a response that ends it (``ConnectionCloseHandler``: refused bodies, `Connection: close`).
    func serverBuilder() throws -> HTTPServerBuilder {
        let idleTimeout = TimeAmount.milliseconds(Int64((configuration.http.idleTimeout * 1000).rounded()))
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionCloseHandler()], idleTimeout: idleTimeout))
        guard let certificate = configuration.http.tlsCertificate, let key = configuration.http.tlsKey else { return http1 }
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw WardenError.invalidInput("Cannot read the TLS certificate '\(certificate)': \(error)")
        }
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            // Never echo the key file's content.
            throw WardenError.invalidInput("Cannot read the TLS private key '\(key)' (PEM expected)")
        }
        guard !chain.isEmpty else { throw WardenError.invalidInput("The TLS certificate file '\(certificate)' holds no certificate") }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv12
        return try .tls(http1, tlsConfiguration: tls)
    }
}
