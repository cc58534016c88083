import Foundation
import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

extension InferenceAPI {
    /// Scores each predicted row for adversarial/OOD signs; flagged rows are alerted and audited
    /// (`guard.adversarial`), queued for review, or the request refused (400), by policy.
    func screen(
        _ guardrail: AdversarialGuard, _ observed: ObservedRows, input: InferenceTensor, rows: Int, model: ServedModel, _ request: Request,
        _ context: WardenRequestContext
    ) async throws {
        let detector = try observed.detector?.get()
        let features = observed.features, classScores = observed.scores
        var squeezedScores = [[[Float]]](repeating: [], count: features.count)
        if let detector, detector.variantCount > 0, input.datatype == .fp32 {
            // Every squeezed version of every row in one run of the model: rows × variants rows.
            let variants = detector.variantCount
            var batch = [Float]()
            batch.reserveCapacity(features.count * variants * (features.first?.count ?? 0))
            for row in features { for variant in detector.squeezed(row) { batch += variant } }
            let scored = try await AdversarialGuard.scores(model, batch, count: features.count * variants)
            for row in features.indices where (row + 1) * variants <= scored.count {
                squeezedScores[row] = Array(scored[(row * variants)..<((row + 1) * variants)])
            }
        }
        var flagged: [(Int, AdversarialDetector.Assessment)] = []
        for row in features.indices {
            let assessment: AdversarialDetector.Assessment
            if let detector {
                assessment = detector.assess(
                    features: features[row], scores: classScores[row], squeezedScores: squeezedScores[row], mahalanobis: observed.mahalanobis?[row])
            } else {
                assessment = AdversarialDetector.assessConfidence(scores: classScores[row], minConfidence: guardrail.policy.minConfidence)
            }
            if assessment.flagged { flagged.append((row, assessment)) }
        }
        guard !flagged.isEmpty else { return }
        let action = guardrail.policy.action
        let client = context.principal?.name ?? "anonymous"
        for (row, assessment) in flagged.prefix(16) {
            var details: [(String, JSONValue)] = [
                ("row", .int(Int64(row))), ("reasons", .array(assessment.reasons.map { .string($0) })), ("confidence", .double(assessment.confidence)),
                ("action", .string(action.rawValue)), ("input_digest", .string(InferenceTensor.digest(of: [InferenceTensor(name: input.name, shape: [features[row].count], values: .float(features[row]))]).description)),
            ]
            if let m = assessment.mahalanobis, m.isFinite { details.append(("mahalanobis", .double(m))) }
            if let threshold = detector?.mahalanobis?.threshold { details.append(("mahalanobis_threshold", .double(threshold))) }
            if let s = assessment.squeezing { details.append(("squeezing", .double(s))) }
            if let threshold = detector?.squeezeThreshold { details.append(("squeezing_threshold", .double(threshold))) }
            if action == .review {
                let id = reviews.add(time: server.registry.clock.timestamp(), client: client, model: "\(model.name)/\(model.version)", details: .object(details))
                details.append(("review", .string(id)))
            }
            for reason in assessment.reasons { metrics.countAdversarial(reason) }
            await emit("adversarial", context, model: model.name, details: .object(details), request: request)
            try await server.auditQueue.append(
                AuditDraft(
                    time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.adversarial",
                    subject: "\(model.name)/\(model.version)", details: .object([("client", .string(client))] + details)))
        }
        if action == .reject {
            let reasons = Set(flagged.flatMap(\.1.reasons)).sorted().joined(separator: ", ")
            throw InferenceError(
                .badRequest, "\(flagged.count) of \(rows) row(s) look adversarial or out of distribution (\(reasons)); the request was not served",
                reason: "adversarial")
        }
    }

    /// Only administrators and reviewers see and resolve the review queue.
    func requireReviewer(_ context: WardenRequestContext) async throws -> Principal {
        guard let principal = context.principal else { throw InferenceError(.unauthorized, "use 'Authorization: Bearer wdn_…'", reason: "unauthenticated") }
        guard principal.roles.contains(.admin) || principal.roles.contains(.reviewer) else {
            try await server.registry.store.appendAudit(
                AuditDraft(
                    time: server.registry.clock.timestamp(), actor: principal.name, action: "auth.denied", subject: "guard/reviews",
                    details: ["reason": "the review queue needs the admin or reviewer role"]))
            throw InferenceError(.forbidden, "the review queue needs the admin or reviewer role", reason: "forbidden")
        }
        return principal
    }

    func listReviews(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try await requireReviewer(context)
        let openOnly = request.uri.queryParameters["status"].map { String($0) } == "open"
        let items = reviews.list(openOnly: openOnly)
        try await server.registry.store.appendAudit(
            AuditDraft(
                time: server.registry.clock.timestamp(), actor: principal.name, action: "guard.review.list", subject: "guard/reviews",
                details: ["count": .int(Int64(items.count))]))
        return JSONResponse.make(["reviews": .array(items.map(\.json))])
    }

    func resolveReview(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try await requireReviewer(context)
        let id = try context.parameters.require("id")
        let body = try await Self.smallBody(request)
        guard let verdict = body["verdict"]?.stringValue, ReviewQueue.verdicts.contains(verdict) else {
            throw InferenceError(.badRequest, "give \"verdict\": \"benign\" or \"adversarial\"", reason: "invalid_input")
        }
        if let note = body["note"], note.stringValue == nil { throw InferenceError(.badRequest, "\"note\" must be a string", reason: "invalid_input") }
        let note = body["note"]?.stringValue.map { InputValidator.clean(String($0.prefix(500))) }
        guard let item = reviews.resolve(id, verdict: verdict, by: principal.name, note: note) else {
            throw InferenceError(.notFound, "no review item '\(InputValidator.clean(String(id.prefix(40))))'", reason: "not_found")
        }
        try await server.registry.store.appendAudit(
            AuditDraft(
                time: server.registry.clock.timestamp(), actor: principal.name, action: "guard.review.resolve", subject: "guard/reviews/\(item.id)",
                details: .object([("verdict", .string(verdict)), ("client", .string(item.client)), ("model", .string(item.model)), ("note", note.map { .string($0) } ?? .null)])))
        return JSONResponse.make(item.json)
    }
}
