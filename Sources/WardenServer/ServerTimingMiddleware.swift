import Foundation
import Hummingbird

/// Adds `Server-Timing: app;dur=MS` (W3C Server Timing) to every response: the time from the
/// request reaching the router to its response being ready (authentication, handler, database
/// commit with its sync, audit checkpoint; not the body's transfer). Off unless
/// `WARDEN_SERVER_TIMING=1`, so benchmarks can put the server's own time beside what a client
/// measures end to end (scripts/bench/registry_bench.py reads it).
struct ServerTimingMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext

    /// Whether the environment asks for the header.
    static var isEnabled: Bool { ProcessInfo.processInfo.environment["WARDEN_SERVER_TIMING"] == "1" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        response.headers[.init("Server-Timing")!] = Self.value(micros: micros)
        return response
    }

    /// `app;dur=MS` with three decimals, written without Foundation's `String(format:)` (a few
    /// microseconds a request that the header would otherwise add to what it measures).
    static func value(micros: Int64) -> String {
        let micros = max(0, micros)
        let fraction = String(micros % 1000)
        return "app;dur=" + String(micros / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
