import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

/// An error of the `/v2` routes as the Open Inference Protocol returns it: a status and
/// `{"error": "<message>"}`, with `Retry-After` on 429. Messages never carry request data or secrets.
struct InferenceError: HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// Seconds, rounded up, for the `Retry-After` header.
    var retryAfter: Int?
    /// The `reason` label of the rejection metric.
    var reason: String

    init(_ status: HTTPResponse.Status, _ message: String, reason: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.retryAfter = retryAfter
    }

    init(_ error: GuardError) {
        let status: HTTPResponse.Status =
            switch error.code {
            case .tooLarge: .contentTooLarge
            case .rateLimited, .budgetExhausted: .tooManyRequests
            case .blocked: .forbidden
            default: .badRequest
            }
        self.init(status, error.message, reason: error.code.description, retryAfter: error.retryAfter.map { max(1, Int($0.rounded(.up))) })
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    /// The error JSON with its status and headers.
    func response() -> Response {
        var response = Self.response(status, message)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        // The rest of a timed-out body may still be on its way: the connection cannot be reused.
        if status == .requestTimeout { response.headers[.connection] = "close" }
        return response
    }

    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        JSONResponse.make(["error": .string(message)], status: status)
    }

    /// Library and registry errors as protocol errors (unknown ones as an opaque 500).
    static func from(_ error: any Error) -> InferenceError {
        switch error {
        case let inference as InferenceError: return inference
        case let refusal as GuardError: return InferenceError(refusal)
        case let api as APIError: return InferenceError(api.status, api.message, reason: api.code.lowercased())
        case let refusal as Registry.Refusal: return InferenceError(.forbidden, refusal.description, reason: "forbidden")
        case let warden as WardenError:
            if warden.code == .notFound { return InferenceError(.notFound, warden.message, reason: "not_found") }
            if warden.code == .invalidInput || warden.code == .unsupported { return InferenceError(.badRequest, warden.message, reason: "invalid_input") }
            return InferenceError(.internalServerError, "internal error", reason: "internal")
        default:
            return InferenceError(.internalServerError, "internal error", reason: "internal")
        }
    }
}
