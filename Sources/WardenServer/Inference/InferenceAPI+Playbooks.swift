import Foundation
import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

extension InferenceAPI {
    /// Sends an alert to the sinks. A new alert (not a folded repeat, not a `blocked` refusal)
    /// opens an incident, and the playbook's actions for it are carried out, each recorded in the
    /// incident and audited as `playbook.<action>` by `warden-gateway`. Drift alerts are about the
    /// traffic, not one client: `block` and `revoke` skip them.
    func emit(_ type: String, _ context: WardenRequestContext, model: String, details: JSONValue, request: Request? = nil) async {
        let client = type == "drift" ? "*" : context.principal?.name ?? "anonymous"
        let logger = context.logger
        guard let alert = alerts.emit(type: type, client: client, model: model, details: details, failed: { logger.error("could not send an alert to \($0)") })
        else { return }
        guard alert.type != "blocked" else { return }
        let clientID = type == "drift" ? nil : context.principal?.id ?? "anonymous"
        // Incident ids continue after those kept from before a restart.
        try? await blocks.restored()
        let id = incidents.open(alert, clientID: clientID ?? "*")
        for action in configuration.playbook.actions(for: alert) {
            let step = await carryOut(action, incident: id, alert: alert, clientID: clientID, tokenID: request.flatMap(Self.tokenID))
            incidents.record(id, step)
            do {
                try await server.registry.store.appendAudit(
                    AuditDraft(
                        time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "playbook.\(action.rawValue)",
                        subject: "guard/incidents/\(id)",
                        details: [
                            "type": .string(alert.type), "client": .string(alert.client), "model": .string(model), "outcome": .string(step.outcome),
                            "detail": .string(step.detail),
                        ]))
            } catch {
                logger.error("could not audit a playbook action: \(String(describing: Swift.type(of: error)))")
            }
        }
        guard let incident = incidents.incident(id) else { return }
        do {
            try await blocks.save(
                incident,
                audit: AuditDraft(
                    time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.incident", subject: "guard/incidents/\(id)",
                    details: [
                        "type": .string(alert.type), "client": .string(alert.client), "model": .string(model), "actions": .int(Int64(incident.steps.count)),
                    ]))
        } catch {
            logger.error("could not keep incident \(id) in the store: \(Self.describe(error))")
        }
    }

    func carryOut(_ action: Playbook.Action, incident: String, alert: GuardAlert, clientID: String?, tokenID: String?) async -> IncidentLog.Step {
        let playbook = configuration.playbook
        let name = action.rawValue
        switch action {
        case .block:
            guard let clientID else { return .init(action: name, outcome: "skipped", detail: "a \(alert.type) alert is not about one client") }
            let now = server.registry.clock.now().timeIntervalSince1970
            let until = playbook.blockSeconds > 0 ? now + playbook.blockSeconds : nil
            let entry = ClientBlocklist.Entry(client: clientID, until: until, reason: "\(alert.type) alert", by: Self.gatewayPrincipal.name, incident: incident)
            blocklist.block(entry, now: now)
            let span = until == nil ? "until unblocked" : "for \(InferenceMetrics.number(playbook.blockSeconds)) s"
            do {
                try await blocks.save(
                    entry,
                    audit: AuditDraft(
                        time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.block", subject: "guard/blocks/\(clientID)",
                        details: ["reason": .string(entry.reason), "seconds": .double(playbook.blockSeconds), "incident": .string(incident)]))
            } catch {
                return .init(action: name, outcome: "done", detail: "client '\(alert.client)' blocked \(span), but not kept across a restart: \(Self.describe(error))")
            }
            return .init(action: name, outcome: "done", detail: "client '\(alert.client)' blocked \(span)")
        case .revoke:
            guard clientID != nil else { return .init(action: name, outcome: "skipped", detail: "a \(alert.type) alert is not about one client") }
            guard let tokenID else {
                return .init(action: name, outcome: "skipped", detail: "the request carried no Warden bearer token (JWT, basic auth or none)")
            }
            do {
                _ = try await server.registry.revokeToken(id: tokenID, by: Self.gatewayPrincipal)
                return .init(action: name, outcome: "done", detail: "token \(tokenID) of '\(alert.client)' revoked")
            } catch {
                return .init(action: name, outcome: "failed", detail: Self.describe(error))
            }
        case .rollback:
            guard configuration.models[alert.model] == nil, !alert.model.isEmpty else {
                return .init(action: name, outcome: "skipped", detail: "'\(alert.model)' is a --model file, not a registry model with an alias")
            }
            do {
                let move = try await server.registry.rollback(configuration.alias, of: alert.model, by: Self.gatewayPrincipal)
                return .init(
                    action: name, outcome: "done",
                    detail: "\(alert.model)@\(configuration.alias) rolled back from version \(move.from.map(String.init) ?? "none") to \(move.to.map(String.init) ?? "none")")
            } catch {
                return .init(action: name, outcome: "failed", detail: Self.describe(error))
            }
        case .fallback:
            guard let fallback = playbook.fallbacks[alert.model] else {
                return .init(action: name, outcome: "skipped", detail: "no fallback model is configured for '\(alert.model)'")
            }
            routes.fallBack(alert.model, to: fallback)
            do {
                try await blocks.saveFallback(
                    alert.model, fallback,
                    audit: AuditDraft(
                        time: server.registry.clock.timestamp(), actor: Self.gatewayPrincipal.name, action: "guard.fallback",
                        subject: "guard/fallbacks/\(alert.model)", details: ["fallback": .string(fallback), "incident": .string(incident)]))
            } catch {
                return .init(action: name, outcome: "done", detail: "'\(alert.model)' now serves '\(fallback)' until restored, but not across a restart: \(Self.describe(error))")
            }
            return .init(action: name, outcome: "done", detail: "'\(alert.model)' now serves '\(fallback)' until restored")
        }
    }

    /// 403 for a client on the blocklist (a `blocked` alert, folded like the others).
    func refuseBlocked(_ context: WardenRequestContext, model: String) async throws {
        try await restoreBlocks(context)
        let client = context.principal?.id ?? "anonymous"
        guard let entry = blocklist.entry(for: client, now: server.registry.clock.now().timeIntervalSince1970) else { return }
        let cause = entry.incident.map { "incident \($0): \(entry.reason)" } ?? entry.reason
        let message = "this client is blocked (\(InputValidator.clean(String(cause.prefix(200))))); an administrator can lift it with `warden incident unblock`"
        await emit("blocked", context, model: InputValidator.clean(String(model.prefix(200))), details: ["reason": "blocked", "message": .string(message)])
        throw InferenceError(.forbidden, message, reason: "blocked")
    }

    /// Waits until the blocks, incidents and fallbacks kept in the store are back (503 when they
    /// cannot be read: serving a blocked client because the store hiccupped is not an option).
    func restoreBlocks(_ context: WardenRequestContext) async throws {
        do {
            try await blocks.restored()
        } catch {
            context.logger.error("could not load the persisted client blocks: \(Self.describe(error))")
            throw InferenceError(.serviceUnavailable, "the gateway could not load its client blocks; try again", reason: "unavailable")
        }
    }

    /// A one-line reason for an action that failed (registry refusals and errors by their message).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let warden as WardenError: warden.message
        case let refusal as Registry.Refusal: refusal.description
        case let api as APIError: api.message
        default: "internal error (\(String(describing: type(of: error))))"
        }
    }
}
