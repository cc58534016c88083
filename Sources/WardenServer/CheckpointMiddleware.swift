import Hummingbird
import WardenRegistry

/// After each request, appends a signed audit checkpoint when one is due. A failure to write it
/// is logged and retried on the next request; it never fails the request it follows.
struct CheckpointMiddleware: RouterMiddleware {
    typealias Context = WardenRequestContext
    let checkpoints: AuditCheckpoints
    let registry: Registry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        do {
            try await checkpoints.checkpointIfDue(registry.store, clock: registry.clock)
        } catch {
            context.logger.error("audit checkpoint failed: \(String(describing: type(of: error)))")
        }
        return response
    }
}
