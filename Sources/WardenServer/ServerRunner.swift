import Hummingbird
import Logging
import NIOCore

extension RegistryServer {
    /// Runs the HTTP server until cancelled or signalled; `onRunning` gets the bound port (useful
    /// with port 0).
    public func run(host: String, port: Int, logger: Logger = Logger(label: "warden.serve"), onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "warden"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        try await application.runService()
    }
}
