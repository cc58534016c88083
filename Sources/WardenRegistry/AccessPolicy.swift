/// Deny-by-default authorisation: role permissions, per-model grants, and attribute rules on
/// models (`team`, `sensitivity`).
///
/// Rules, in order:
/// 1. `admin` may do everything.
/// 2. Server-wide actions need a global role that allows them.
/// 3. For a model action, the roles that count are the principal's global roles and the roles of
///    grants covering the model. A model with a `team` attribute accepts global (non-admin) roles
///    only from principals of the same team; grants always count.
/// 4. A model with `sensitivity: restricted` additionally needs the principal attribute
///    `clearance: restricted` (or a grant naming the model).
public struct AccessPolicy: Sendable {
    public init() {}

    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var reason: String
    }

    public func decide(_ principal: Principal, _ action: RegistryAction, model: RegisteredModel? = nil) -> Decision {
        if principal.roles.contains(.admin) { return Decision(allowed: true, reason: "admin") }
        guard action.isPerModel, let model else {
            let allowed = principal.roles.contains { $0.actions.contains(action) }
            return Decision(allowed: allowed, reason: allowed ? "global role" : "no role of '\(principal.name)' allows \(action.rawValue)")
        }
        let grantRoles = principal.grants.filter { $0.covers(model.name) }.map(\.role)
        var roles = Set(grantRoles)
        let team = model.attributes["team"]
        if team == nil || principal.attributes["team"] == team {
            roles.formUnion(principal.roles)
        }
        if model.attributes["sensitivity"] == "restricted" && principal.attributes["clearance"] != "restricted" && grantRoles.isEmpty {
            return Decision(allowed: false, reason: "'\(model.name)' is restricted and '\(principal.name)' has no clearance or grant for it")
        }
        if roles.contains(where: { $0.actions.contains(action) }) {
            return Decision(allowed: true, reason: "role on '\(model.name)'")
        }
        return Decision(allowed: false, reason: "no role of '\(principal.name)' allows \(action.rawValue) on '\(model.name)'")
    }
}
