import Hummingbird
import WardenRegistry

/// Runs in front of every `/v2` route: authenticates a token when one is presented (the same
/// tokens, JWTs and basic credentials as the registry API), turns every error into the protocol's
/// `{"error": "…"}` JSON, and records the request's metrics. Whether a token is required is the
/// route's decision (health and server metadata are open; models need `model.infer`).
struct InferenceMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let server: RegistryServer
    let metrics: InferenceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        var rejection: String?
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            metrics.record(model: Self.label(request.uri.path, status: status), status: status, seconds: seconds, rejection: rejection)
        }
        do {
            var context = context
            if request.headers[.authorization] != nil {
                let auth = AuthMiddleware(registry: server.registry, basicAuth: server.configuration.auth.basicAuth, jwt: server.jwt)
                let outcome = try await auth.authenticate(request)
                switch outcome {
                case .principal(let principal): context.principal = principal
                case .denied(let tokenID, let message):
                    try await auth.auditDenial(request, tokenID: tokenID)
                    throw InferenceError(.unauthorized, message, reason: "unauthenticated")
                case nil: throw InferenceError(.unauthorized, "use 'Authorization: Bearer wdn_…'", reason: "unauthenticated")
                }
            }
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPError {
            status = error.status.code
            throw error
        } catch {
            var refusal = InferenceError.from(error)
            refusal.message = APIError.redact(refusal.message, server.privatePaths)
            if refusal.status == .internalServerError { context.logger.error("inference request failed: \(String(describing: type(of: error)))") }
            status = refusal.status.code
            rejection = refusal.reason
            return try refusal.response(from: request, context: context)
        }
    }

    /// The `model` label: the path's model name once the request got past the model's existence
    /// and authentication checks (so labels only name real models), else "".
    static func label(_ path: String, status: Int) -> String {
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[0] == "v2", parts[1] == "models", ![401, 404].contains(status), status < 500 else { return "" }
        return String(parts[2].prefix(200))
    }
}
