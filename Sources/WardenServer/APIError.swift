import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// An error as the API returns it: a status and `{"error_code", "message"}` (the shape MLflow's
/// client also understands). Messages never carry secrets.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The error with every occurrence of `paths` (the server's folders) in its message replaced
    /// by `<data>`: a client never learns where the server keeps its files.
    func redacting(_ paths: [String]) -> APIError {
        APIError(status, code, Self.redact(message, paths))
    }

    static func redact(_ message: String, _ paths: [String]) -> String {
        // Longest first, so that a folder inside another is replaced whole.
        paths.filter { $0.count > 1 }.sorted { $0.count > $1.count }.reduce(message) { $0.replacingOccurrences(of: $1, with: "<data>") }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = ["error_code": .string(code), "message": .string(message)]
        return JSONResponse.make(body, status: status)
    }

    /// Maps library errors to statuses: refusals 403/409, bad input 400, missing 404, others 500.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let api as APIError: return api
        case let refusal as Registry.Refusal:
            switch refusal {
            case .forbidden(let reason): return APIError(.forbidden, "PERMISSION_DENIED", reason)
            case .gatesFailed: return APIError(.conflict, "GATES_FAILED", refusal.description)
            }
        case let warden as WardenError:
            if warden.code == .notFound { return APIError(.notFound, "RESOURCE_DOES_NOT_EXIST", warden.message) }
            if warden.code == .invalidInput || warden.code == .unsupported { return APIError(.badRequest, "INVALID_PARAMETER_VALUE", warden.message) }
            return APIError(.internalServerError, "INTERNAL_ERROR", "internal error")
        default:
            return APIError(.internalServerError, "INTERNAL_ERROR", "internal error")
        }
    }
}

/// JSON responses from `JSONValue`.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.compactString)))
    }
}
