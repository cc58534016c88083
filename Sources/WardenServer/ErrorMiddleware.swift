import Hummingbird

/// Turns library errors into API errors (400/403/404/409/500 with a JSON body); nothing escapes
/// as an unexplained 500 and no internal detail leaks.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    /// Folders of the server that never appear in an error message (``RegistryServer/privatePaths``).
    var privatePaths: [String] = []

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            throw error
        } catch {
            let api = APIError.from(error).redacting(privatePaths)
            if api.status == .internalServerError { context.logger.error("request failed: \(String(describing: type(of: error)))") }
            return try api.response(from: request, context: context)
        }
    }
}
