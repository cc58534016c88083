import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

extension InferenceAPI {
    /// Feeds the predicted rows to the model's drift window; a new drift raises a `drift` alert
    /// (and the playbook's actions for it) with the drifted features and the PSI values.
    func observeDrift(
        _ monitor: DriftMonitor, inputs: [InferenceTensor], outputs: [InferenceTensor], rows: Int, model: ServedModel, _ request: Request,
        _ context: WardenRequestContext
    ) async throws {
        guard let window = try await monitor.window(for: model), let input = inputs.first, case .float(let values) = input.values,
            values.count == rows * window.width, let scores = Self.scoreTensor(outputs, rows: rows)
        else { return }
        guard let status = window.observe(values, predictions: scores.rows(rows).map(DriftMonitor.argmax)) else { return }
        monitor.record(status, model: model)
        guard status.newlyDrifted else { return }
        let top = status.drifted.sorted { status.psi[$0] > status.psi[$1] }.prefix(16)
        let details: JSONValue = .object([
            ("version", .string(model.version)), ("window", .int(Int64(window.policy.window))),
            ("drifted_features", .array(top.map { .int(Int64($0)) })), ("drifted_count", .int(Int64(status.drifted.count))),
            ("max_psi", .double(status.psi.max() ?? 0)), ("min_p_value", .double(status.pValues.min() ?? 1)),
            ("prediction_psi", .double(status.predictionPSI)), ("predictions_drifted", .bool(status.predictionsDrifted)),
            ("psi_threshold", .double(window.policy.psi)), ("alpha", .double(window.policy.alpha)),
        ])
        await emit("drift", context, model: model.name, details: details, request: request)
        try await server.registry.store.appendAudit(
            AuditDraft(
                time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.drift", subject: "\(model.name)/\(model.version)",
                details: details))
    }
}
