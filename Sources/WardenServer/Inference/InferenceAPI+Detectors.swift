import Foundation
import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

extension InferenceAPI {
    /// The principal that acts for the gateway's automatic responses (audited under this name).
    static let gatewayPrincipal = Principal(id: "warden-gateway", name: "warden-gateway", roles: [.admin])

    /// Feeds each predicted row to the extraction detector; on a new flag: an alert, an audit
    /// event, the metric, and for the `revoke` action the caller's token revoked.
    func watch(_ detector: ExtractionDetector, _ observed: ObservedRows, model: ServedModel, _ request: Request, _ context: WardenRequestContext) async throws {
        let client = context.principal?.id ?? "anonymous"
        // The model's reference distribution (from --reference), when adversarial detection has one:
        // whether each query is out of distribution, and the class shares, feed two more rules.
        let reference = observed.reference
        var flagged: ExtractionDetector.Observation?
        for (row, (features, scores)) in zip(observed.features, observed.scores).enumerated() {
            let novel = reference.flatMap { reference in observed.mahalanobis.map { $0[row] > reference.threshold } }
            let observation = detector.observe(client, features: features, scores: scores, outOfDistribution: novel, classPrior: reference?.classShares)
            if observation.newlyFlagged { flagged = observation }
        }
        guard let flagged else { return }
        for reason in flagged.reasons { metrics.countDetection(reason) }
        var details: [(String, JSONValue)] = [
            ("risk", .double(flagged.risk)), ("reasons", .array(flagged.reasons.map { .string($0) })), ("samples", .int(Int64(flagged.samples))),
            ("low_margin_share", .double(flagged.lowMarginShare)), ("volume", .int(Int64(flagged.volume))),
            ("action", .string(detector.policy.action.rawValue)),
        ]
        if let w = flagged.w { details.append(("w", .double(w))) }
        if let share = flagged.outOfDistributionShare { details.append(("out_of_distribution_share", .double(share))) }
        if let p = flagged.classBalanceP { details.append(("class_balance_p", .double(p))) }
        if detector.policy.action == .revoke, let id = Self.tokenID(request) {
            do {
                _ = try await server.registry.revokeToken(id: id, by: Self.gatewayPrincipal)
                details.append(("revoked_token", .string(id)))
            } catch {
                context.logger.error("could not revoke the token of a client flagged for extraction: \(error)")
            }
        }
        await emit("extraction", context, model: model.name, details: .object(details), request: request)
        try await server.registry.store.appendAudit(
            AuditDraft(
                time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.extraction",
                subject: "\(model.name)/\(model.version)", details: .object([("client", .string(context.principal?.name ?? "anonymous"))] + details)))
    }

    /// The class scores: the first floating-point output with `rows` rows of at least two values.
    static func scoreTensor(_ outputs: [InferenceTensor], rows: Int) -> InferenceTensor? {
        outputs.first { output in
            guard case .float(let values) = output.values, values.count >= 2 * rows, values.count % rows == 0 else { return false }
            return rows == 1 || output.shape.first == rows
        }
    }

    /// The public id of the bearer token the request carried (nil for JWTs, basic auth, none).
    static func tokenID(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        return APIToken.parse(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))?.id
    }

    /// Reports a rate, budget or block refusal to the alert sinks (repeats are folded by the sink).
    func alert(refusal error: any Error, _ context: WardenRequestContext, model: String) async {
        guard let refusal = error as? GuardError else { return }
        let type = refusal.code == .blocked ? "blocked" : "rate_limit"
        await emit(type, context, model: model, details: ["reason": .string(refusal.code.description), "message": .string(refusal.message)])
    }
}
