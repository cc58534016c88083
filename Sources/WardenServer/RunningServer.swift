import Logging
import WardenCore

/// A server started with `RegistryServer.start`: the port it listens on, and a way to stop it.
public struct RunningServer: Sendable {
    /// The bound port (the one the OS chose when asked for port 0).
    public let port: Int
    let task: Task<Void, any Error>

    /// Shuts the server down gracefully (see `RegistryServer.run`); returns at once.
    public func stop() { task.cancel() }
}

extension RegistryServer {
    /// Starts the server in the background and returns once it listens: no polling for the port.
    /// Throws what `run` threw if the server stops before it listens (port in use, bad TLS files).
    public func start(host: String = "127.0.0.1", port: Int = 0, logger: Logger) async throws -> RunningServer {
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await self.run(host: host, port: port, logger: logger) { continuation.yield($0) }
        }
        for await port in bound { return RunningServer(port: port, task: task) }
        try await task.value
        throw WardenError.internalError("The server stopped before it was listening on \(host):\(port)")
    }
}
