import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WardenServer

/// `WARDEN_SERVER_TIMING=1`: every response (errors too) carries `Server-Timing: app;dur=MS` with
/// the handler's time in it.
struct ServerTimingMiddlewareTests {
    @Test func everyResponseCarriesTheServersOwnTime() async throws {
        let router = Router(context: WardenRequestContext.self)
        router.add(middleware: ServerTimingMiddleware())
        router.add(middleware: ErrorMiddleware(privatePaths: []))
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .milliseconds(30))
            return "ok"
        }
        router.get("/fails") { _, _ -> String in throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "no") }
        try await Application(router: router).test(.router) { client in
            for (path, status, atLeast) in [("/slow", HTTPResponse.Status.ok, 30.0), ("/fails", .badRequest, 0.0)] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == status)
                    let value = try #require(response.headers[.init("Server-Timing")!])
                    #expect(value.hasPrefix("app;dur="))
                    let millis = try #require(Double(value.dropFirst("app;dur=".count)))
                    #expect(millis >= atLeast && millis < 10_000)
                }
            }
        }
    }

    @Test func theDurationIsMillisecondsWithThreeDecimals() {
        #expect(ServerTimingMiddleware.value(micros: 0) == "app;dur=0.000")
        #expect(ServerTimingMiddleware.value(micros: 7) == "app;dur=0.007")
        #expect(ServerTimingMiddleware.value(micros: 1_534) == "app;dur=1.534")
        #expect(ServerTimingMiddleware.value(micros: 120_050) == "app;dur=120.050")
        #expect(ServerTimingMiddleware.value(micros: -3) == "app;dur=0.000")
    }
}
