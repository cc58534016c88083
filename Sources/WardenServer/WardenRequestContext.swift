import Hummingbird
import WardenRegistry

/// Per-request state: who is calling (set by ``AuthMiddleware``).
public struct WardenRequestContext: RequestContext, Sendable {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }

    /// JSON bodies of the API are small; artefacts stream through their own route.
    public var maxUploadSize: Int { 1 << 20 }

    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "UNAUTHENTICATED", "a bearer token is required") }
        return principal
    }
}
