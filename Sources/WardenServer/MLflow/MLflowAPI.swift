import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// The subset of MLflow's REST API (`/api/2.0/mlflow/…`, `/api/2.0/mlflow-artifacts/…`) that the
/// `mlflow` Python client (3.x) uses to log and register models, set and read aliases and tags,
/// search, transition stages and load `models:/NAME@ALIAS` — over Warden's registry, so the same
/// authorisation, gates and audit chain apply. MLflow registered models are Warden models,
/// MLflow model versions are Warden versions, MLflow stages are the aliases `staging` and
/// `production`. Experiments, runs and logged models are documents in the same store.
struct MLflowAPI: Sendable {
    let server: RegistryServer
    var registry: Registry { server.registry }
    var store: any RegistryStore { server.registry.store }

    typealias Context = WardenRequestContext
    typealias Handler = @Sendable (Request, Context, Principal) async throws -> JSONValue

    /// Document kinds.
    enum Kind {
        static let experiment = "mlflow.experiment"
        static let experimentName = "mlflow.experiment-name"
        static let run = "mlflow.run"
        static let loggedModel = "mlflow.logged-model"
        static let artifact = "mlflow.artifact"
        static let versionOrigin = "mlflow.version"
        /// One per registration of a run or logged model as a version: `KIND/ID/NAME#VERSION`
        /// (documents written before these kept the list in their own `registered` array).
        static let registration = "mlflow.registration"
    }

    func add(to router: Router<Context>) {
        let api = router.group("/api/2.0/mlflow")
        addRegistryRoutes(api)
        addTrackingRoutes(api)
        addArtifactRoutes(router.group("/api/2.0/mlflow-artifacts"))
    }

    /// Adds a JSON route whose errors come back in MLflow's error shape and codes.
    func route(_ group: RouterGroup<Context>, _ method: HTTPRequest.Method, _ path: RouterPath, _ handler: @escaping Handler) {
        group.on(path, method: method) { request, context -> Response in
            do {
                return JSONResponse.make(try await handler(request, context, try context.requirePrincipal()))
            } catch {
                return try mlflowError(error).response(from: request, context: context)
            }
        }
    }

    /// ``error(_:)`` with the server's folders redacted from the message.
    func mlflowError(_ error: any Error) -> APIError { Self.error(error).redacting(server.privatePaths) }

    /// Library errors in MLflow's codes (the client only reads `error_code` and `message`).
    static func error(_ error: any Error) -> APIError {
        switch error {
        case let refusal as Registry.Refusal:
            switch refusal {
            case .forbidden(let reason): return APIError(.forbidden, "PERMISSION_DENIED", reason)
            case .gatesFailed: return APIError(.badRequest, "INVALID_STATE", refusal.description)
            }
        case let warden as WardenError where warden.code == .invalidInput && warden.message.contains("already exists"):
            return APIError(.badRequest, "RESOURCE_ALREADY_EXISTS", warden.message)
        case let api as APIError where api.code == "RESOURCE_ALREADY_EXISTS":
            return APIError(.badRequest, api.code, api.message)
        default:
            return APIError.from(error)
        }
    }

    // MARK: request reading

    func body(_ request: Request, _ context: Context) async throws -> JSONValue {
        try await server.body(request, context)
    }

    /// A query parameter, decoded as HTML forms encode it (`+` is a space, then percent-escapes):
    /// Python's `requests` sends MLflow filters that way.
    static func query(_ request: Request, _ name: String) -> String? {
        guard let raw = request.uri.query else { return nil }
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            guard key == name else { continue }
            let value = parts.count > 1 ? String(parts[1]) : ""
            return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? value
        }
        return nil
    }

    static func required(_ json: JSONValue, _ key: String) throws -> String {
        guard let value = json[key]?.stringValue, !value.isEmpty else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Missing value for required parameter '\(key)'.")
        }
        return value
    }

    static func requiredQuery(_ request: Request, _ key: String) throws -> String {
        guard let value = query(request, key), !value.isEmpty else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Missing value for required parameter '\(key)'.")
        }
        return value
    }

    static func versionNumber(_ text: String) throws -> Int {
        guard let number = Int(text), number > 0 else {
            throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "Model version must be a positive integer, got '\(text.prefix(40))'.")
        }
        return number
    }

    /// `[{key, value}]` as a dictionary.
    static func tags(_ value: JSONValue?) -> [String: String] {
        var out: [String: String] = [:]
        for item in value?.arrayValue ?? [] {
            if let key = item["key"]?.stringValue { out[key] = item["value"]?.stringValue ?? "" }
        }
        return out
    }

    static func tagList(_ tags: [String: String]) -> JSONValue {
        .array(tags.sorted { $0.key < $1.key }.map { ["key": .string($0.key), "value": .string($0.value)] })
    }

    var nowMillis: Int64 { registry.nowMillis }

    func audit(_ principal: Principal, _ action: String, _ subject: String, _ details: JSONValue = .object([])) -> AuditDraft {
        registry.draft(principal, action, subject, details)
    }
}
