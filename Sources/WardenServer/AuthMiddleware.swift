import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// Authentication of every route but the open ones:
/// - `Authorization: Bearer wdn_…` (Warden tokens; `MLFLOW_TRACKING_TOKEN` sends this);
/// - `Authorization: Bearer <JWT>` from the configured external issuer (warden.yaml `auth.jwt`);
/// - `Authorization: Basic base64(user:password)` where the password is a Warden token of the
///   principal `user` (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`).
/// Failures are 401 and audited with the token's public id only, never the secret.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let registry: Registry
    let basicAuth: Bool
    let jwt: JWTAuthenticator?
    /// Paths that need no token.
    static let open: Set<String> = ["/healthz", "/health", "/version"]

    init(registry: Registry, basicAuth: Bool = true, jwt: JWTAuthenticator? = nil) {
        self.registry = registry
        self.basicAuth = basicAuth
        self.jwt = jwt
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) || Self.isInferencePath(request.uri.path) { return try await next(request, context) }
        guard let outcome = try await authenticate(request) else {
            return try refuse(request, context, "a bearer token is required (Authorization: Bearer wdn_…)")
        }
        switch outcome {
        case .principal(let principal):
            var context = context
            context.principal = principal
            return try await next(request, context)
        case .denied(let tokenID, let message):
            try await auditDenial(request, tokenID: tokenID)
            return try refuse(request, context, message)
        }
    }

    /// The inference API and /metrics authenticate in ``InferenceMiddleware`` (protocol error JSON,
    /// open health probes).
    static func isInferencePath(_ path: String) -> Bool { path == "/metrics" || path == "/v2" || path.hasPrefix("/v2/") }

    /// The outcome of the request's credentials; nil when it presents none this server accepts.
    func authenticate(_ request: Request) async throws -> Outcome? {
        let header = request.headers[.authorization] ?? ""
        if header.hasPrefix("Bearer ") {
            return try await bearer(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        } else if header.hasPrefix("Basic "), basicAuth {
            return try await basic(String(header.dropFirst("Basic ".count)).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Audits a refused credential by its public id only.
    func auditDenial(_ request: Request, tokenID: String) async throws {
        try await registry.store.appendAudit(
            AuditDraft(
                time: registry.clock.timestamp(), actor: "anonymous", action: "auth.denied", subject: String(request.uri.path.prefix(300)),
                details: ["token_id": .string(tokenID)]))
    }

    enum Outcome {
        case principal(Principal)
        case denied(tokenID: String, message: String)
    }

    func bearer(_ token: String) async throws -> Outcome {
        if let jwt, !token.hasPrefix(APIToken.prefix) {
            switch await jwt.principal(for: token, now: registry.clock.now()) {
            case .success(let principal): return .principal(principal)
            case .failure(let reason): return .denied(tokenID: "jwt", message: "the JWT was refused: \(reason.message)")
            }
        }
        guard let principal = try await registry.authenticate(token: token) else {
            return .denied(tokenID: APIToken.parse(token)?.id ?? "malformed", message: "the token is unknown, revoked or expired")
        }
        return .principal(principal)
    }

    func basic(_ encoded: String) async throws -> Outcome {
        guard encoded.utf8.count < 1024, let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else {
            return .denied(tokenID: "malformed", message: "malformed basic credentials")
        }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        guard let principal = try await registry.authenticate(token: password), principal.name == user || principal.id == user else {
            return .denied(tokenID: APIToken.parse(password)?.id ?? "malformed", message: "the user name or token is wrong")
        }
        return .principal(principal)
    }

    func refuse(_ request: Request, _ context: Context, _ message: String) throws -> Response {
        var response = try APIError(.unauthorized, "UNAUTHENTICATED", message).response(from: request, context: context)
        // MLflow clients expect the challenge (as MLflow's basic-auth server sends it); the native
        // API leaves it out, since some HTTP stacks (Foundation on Linux) stall on a challenge
        // they have no credentials for.
        if basicAuth, request.uri.path.hasPrefix("/api/2.0/") { response.headers[.wwwAuthenticate] = "Basic realm=\"warden\"" }
        return response
    }
}
