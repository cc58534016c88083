import Hummingbird
import WardenCore
import WardenRegistry

/// Bearer-token authentication: `Authorization: Bearer wdn_…`. Unknown, revoked or expired
/// tokens are 401 and audited (with the token's public id only, never the secret).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let registry: Registry
    /// Paths that need no token.
    let open: Set<String> = ["/healthz"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if open.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return try APIError(.unauthorized, "UNAUTHENTICATED", "a bearer token is required (Authorization: Bearer wdn_…)")
                .response(from: request, context: context)
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let principal = try await registry.authenticate(token: token) else {
            let id = APIToken.parse(token)?.id ?? "malformed"
            try await registry.store.appendAudit(
                AuditDraft(time: registry.clock.timestamp(), actor: "anonymous", action: "auth.denied", subject: request.uri.path, details: ["token_id": .string(id)]))
            return try APIError(.unauthorized, "UNAUTHENTICATED", "the token is unknown, revoked or expired")
                .response(from: request, context: context)
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
