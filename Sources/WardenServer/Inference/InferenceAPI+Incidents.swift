import Foundation
import Hummingbird
import WardenCore
import WardenGuard
import WardenRegistry

/// The incident API for people (`warden incident`): administrators and reviewers read incidents,
/// blocks and fallbacks; administrators block and unblock clients, roll an alias back and end a
/// fallback. Every call is audited (`guard.incident.list`, `guard.incident.show`, `guard.block`,
/// `guard.unblock`, `guard.rollback`, `guard.restore`).
extension InferenceAPI {
    func addIncidentRoutes(to v2: RouterGroup<WardenRequestContext>) {
        v2.get("/guard/incidents") { request, context in try await self.listIncidents(request, context) }
        v2.get("/guard/incidents/:id") { _, context in try await self.showIncident(context) }
        v2.post("/guard/blocks") { request, context in try await self.block(request, context) }
        v2.delete("/guard/blocks/:client") { _, context in try await self.unblock(context) }
        v2.post("/guard/rollback") { request, context in try await self.rollback(request, context) }
        v2.delete("/guard/fallbacks/:model") { _, context in try await self.restore(context) }
    }

    /// The caller, when it has one of `roles` (else 401/403, the refusal audited).
    func require(_ roles: Set<Role>, _ context: WardenRequestContext, subject: String) async throws -> Principal {
        guard let principal = context.principal else { throw InferenceError(.unauthorized, "use 'Authorization: Bearer wdn_…'", reason: "unauthenticated") }
        guard !principal.roles.isDisjoint(with: roles) else {
            let need = roles.map(\.rawValue).sorted().joined(separator: " or ")
            try await server.registry.store.appendAudit(
                AuditDraft(
                    time: server.registry.clock.timestamp(), actor: principal.name, action: "auth.denied", subject: subject,
                    details: ["reason": .string("incident response needs the \(need) role")]))
            throw InferenceError(.forbidden, "incident response needs the \(need) role", reason: "forbidden")
        }
        return principal
    }

    func audit(_ principal: Principal, _ action: String, _ subject: String, _ details: JSONValue = .object([])) async throws {
        try await server.registry.store.appendAudit(
            AuditDraft(time: server.registry.clock.timestamp(), actor: principal.name, action: action, subject: subject, details: details))
    }

    func listIncidents(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin, .reviewer], context, subject: "guard/incidents")
        let type = request.uri.queryParameters["type"].map { InputValidator.clean(String($0.prefix(40))) }
        let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) }.map { min(max($0, 1), 1000) } ?? 100
        try await restoreBlocks(context)
        let items = incidents.list(type: type, limit: limit)
        let now = server.registry.clock.now().timeIntervalSince1970
        try await audit(principal, "guard.incident.list", "guard/incidents", ["count": .int(Int64(items.count))])
        return JSONResponse.make([
            "incidents": .array(items.map(\.json)), "blocks": .array(blocklist.active(now: now).map(Self.json)),
            "fallbacks": .object(routes.activeFallbacks.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }),
        ])
    }

    func showIncident(_ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin, .reviewer], context, subject: "guard/incidents")
        let id = try context.parameters.require("id")
        try await restoreBlocks(context)
        guard let incident = incidents.incident(id) else {
            throw InferenceError(.notFound, "no incident '\(InputValidator.clean(String(id.prefix(40))))'", reason: "not_found")
        }
        try await audit(principal, "guard.incident.show", "guard/incidents/\(incident.id)")
        return JSONResponse.make(incident.json)
    }

    /// `{"client", "reason"?, "seconds"?}` (≤ 4096 bytes; `seconds` 0 or absent: until unblocked).
    func block(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin], context, subject: "guard/blocks")
        let body = try await Self.smallBody(request)
        guard let client = body["client"]?.stringValue, !client.isEmpty, client.utf8.count <= 200 else {
            throw InferenceError(.badRequest, "give \"client\": the principal id to block (as `warden incident list` shows it)", reason: "invalid_input")
        }
        if let reason = body["reason"], reason.stringValue == nil { throw InferenceError(.badRequest, "\"reason\" must be a string", reason: "invalid_input") }
        var seconds = 0.0
        if let value = body["seconds"] {
            guard let number = value.doubleValue, number.isFinite, number >= 0, number <= 86_400 * 365 else {
                throw InferenceError(.badRequest, "\"seconds\" must be a number of seconds in 0…31536000 (0: until unblocked)", reason: "invalid_input")
            }
            seconds = number
        }
        let cleanClient = InputValidator.clean(client)
        let reason = InputValidator.clean(String((body["reason"]?.stringValue ?? "blocked by \(principal.name)").prefix(500)))
        try await restoreBlocks(context)
        let now = server.registry.clock.now().timeIntervalSince1970
        let entry = ClientBlocklist.Entry(client: cleanClient, until: seconds > 0 ? now + seconds : nil, reason: reason, by: principal.name, incident: nil)
        // Kept in the store (with its audit event) first, so that a block the caller saw succeed survives a restart.
        try await blocks.save(
            entry,
            audit: AuditDraft(
                time: server.registry.clock.timestamp(), actor: principal.name, action: "guard.block", subject: "guard/blocks/\(cleanClient)",
                details: ["reason": .string(reason), "seconds": .double(seconds)]))
        blocklist.block(entry, now: now)
        return JSONResponse.make(Self.json(entry))
    }

    func unblock(_ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin], context, subject: "guard/blocks")
        let client = try context.parameters.require("client")
        try await restoreBlocks(context)
        let now = server.registry.clock.now().timeIntervalSince1970
        guard let entry = blocklist.entry(for: client, now: now) else {
            throw InferenceError(.notFound, "'\(InputValidator.clean(String(client.prefix(200))))' is not blocked", reason: "not_found")
        }
        try await blocks.lift(
            entry.client,
            audit: AuditDraft(
                time: server.registry.clock.timestamp(), actor: principal.name, action: "guard.unblock", subject: "guard/blocks/\(entry.client)",
                details: ["reason": .string(entry.reason)]))
        blocklist.unblock(entry.client, now: now)
        return JSONResponse.make(["client": .string(entry.client), "unblocked": true])
    }

    /// `{"model", "alias"?}`: moves the alias (default: the served one) back to its previous version,
    /// through the registry's gates, as the caller.
    func rollback(_ request: Request, _ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin], context, subject: "guard/rollback")
        let body = try await Self.smallBody(request)
        guard let model = body["model"]?.stringValue, RegisteredModel.isValidName(model) else {
            throw InferenceError(.badRequest, "give \"model\": a registry model name", reason: "invalid_input")
        }
        if let alias = body["alias"], alias.stringValue == nil { throw InferenceError(.badRequest, "\"alias\" must be a string", reason: "invalid_input") }
        let alias = body["alias"]?.stringValue ?? configuration.alias
        let move: AliasMove
        do {
            move = try await server.registry.rollback(alias, of: model, by: principal)
        } catch let refusal as Registry.Refusal {
            if case .gatesFailed = refusal { throw InferenceError(.conflict, refusal.description, reason: "gates_failed") }
            throw refusal
        }
        try await audit(principal, "guard.rollback", "\(model)@\(alias)", ["from": move.from.map { .int(Int64($0)) } ?? .null, "to": move.to.map { .int(Int64($0)) } ?? .null])
        return JSONResponse.make([
            "model": .string(model), "alias": .string(alias), "from": move.from.map { .int(Int64($0)) } ?? .null,
            "to": move.to.map { .int(Int64($0)) } ?? .null,
        ])
    }

    /// Ends a playbook's fallback: the model serves itself again.
    func restore(_ context: WardenRequestContext) async throws -> Response {
        let principal = try await require([.admin], context, subject: "guard/fallbacks")
        let model = try context.parameters.require("model")
        try await restoreBlocks(context)
        guard let fallback = routes.restore(model) else {
            throw InferenceError(.notFound, "'\(InputValidator.clean(String(model.prefix(200))))' has no fallback in force", reason: "not_found")
        }
        try await blocks.saveFallback(
            model, nil,
            audit: AuditDraft(
                time: server.registry.clock.timestamp(), actor: principal.name, action: "guard.restore", subject: "guard/fallbacks/\(model)",
                details: ["fallback": .string(fallback)]))
        return JSONResponse.make(["model": .string(model), "restored": true, "fallback": .string(fallback)])
    }

    /// A JSON object body of at most 4096 bytes (400/413 otherwise).
    static func smallBody(_ request: Request) async throws -> JSONValue {
        let body: JSONValue
        do {
            let buffer = try await request.body.collect(upTo: 4096)
            body = try JSONParser(maxDepth: 4, maxBytes: 4096).parse(Array(buffer.readableBytesView), source: "the request body")
        } catch let error as WardenError {
            throw InferenceError(.badRequest, error.message, reason: "invalid_json")
        } catch {
            throw InferenceError(.contentTooLarge, "this request is limited to 4096 bytes", reason: "too_large")
        }
        guard body.objectValue != nil else { throw InferenceError(.badRequest, "the body must be a JSON object", reason: "invalid_json") }
        return body
    }

    static func json(_ entry: ClientBlocklist.Entry) -> JSONValue {
        .object([
            ("client", .string(entry.client)), ("until", entry.until.map { .string(WardenClock.rfc3339(Date(timeIntervalSince1970: $0))) } ?? .null),
            ("reason", .string(entry.reason)), ("by", .string(entry.by)), ("incident", entry.incident.map { .string($0) } ?? .null),
        ])
    }
}

extension InferenceAPI {
    /// `guard_webhook_alerts_total{outcome}` (delivered, failed, dropped, retried), the webhook
    /// queue's length, and the incidents and blocks in force.
    func sinkMetrics() -> String {
        var out = ""
        if let webhook = alerts.webhook {
            let counts = webhook.counts
            InferenceMetrics.counter(
                &out, "guard_webhook_alerts_total", help: "Alerts posted to the webhook, by outcome.", label: "outcome",
                ["delivered": counts.delivered, "failed": counts.failed, "dropped": counts.dropped, "retried": counts.retries])
            out += "# HELP guard_webhook_queue Alerts waiting for the webhook.\n# TYPE guard_webhook_queue gauge\nguard_webhook_queue \(webhook.pending)\n"
        }
        out += "# HELP guard_blocked_clients Clients blocked now.\n# TYPE guard_blocked_clients gauge\n"
        out += "guard_blocked_clients \(blocklist.active(now: server.registry.clock.now().timeIntervalSince1970).count)\n"
        return out
    }
}
