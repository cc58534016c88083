/// Automatic responses to alerts (warden.yaml `inference.playbooks`, `--playbook TYPE=ACTION+…`):
/// rules that match an alert's type and minimum severity and name the actions to take —
/// `block` the client (for `blockSeconds`), `revoke` the bearer token that made the request,
/// `rollback` the registry model's served alias to its previous version, `fallback` to serve the
/// model's configured fallback model instead. Deciding is pure; the gateway carries the actions
/// out and audits each one.
public struct Playbook: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case block, revoke, rollback, fallback
    }

    public struct Rule: Sendable, Equatable {
        /// Alert types this rule answers (never empty: a rule names what it answers).
        public var types: Set<String>
        public var minimumSeverity: GuardAlert.Severity
        public var actions: [Action]

        public init(types: Set<String>, minimumSeverity: GuardAlert.Severity = .low, actions: [Action]) {
            self.types = types
            self.minimumSeverity = minimumSeverity
            self.actions = actions
        }
    }

    /// Alert types that never trigger a playbook: a refused blocked client must not re-block itself.
    public static let passiveTypes: Set<String> = ["blocked"]
    /// Alert types a rule may name.
    public static let knownTypes: Set<String> = ["extraction", "adversarial", "drift", "rate_limit", "overload"]

    public var rules: [Rule] = []
    /// How long `block` lasts (seconds; 0: until `warden incident unblock`).
    public var blockSeconds: Double = 3600
    /// Model name → the model `fallback` serves in its place.
    public var fallbacks: [String: String] = [:]

    public init(rules: [Rule] = [], blockSeconds: Double = 3600, fallbacks: [String: String] = [:]) {
        self.rules = rules
        self.blockSeconds = blockSeconds
        self.fallbacks = fallbacks
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// The actions for an alert, in the order rules list them, each once.
    public func actions(for alert: GuardAlert) -> [Action] {
        guard !Self.passiveTypes.contains(alert.type) else { return [] }
        var out: [Action] = []
        for rule in rules where rule.types.contains(alert.type) && alert.severity >= rule.minimumSeverity {
            for action in rule.actions where !out.contains(action) { out.append(action) }
        }
        return out
    }

    /// Parses `TYPE=ACTION[+ACTION…]` (the `--playbook` flag), such as `extraction=block+revoke`.
    /// - Throws: `GuardError.invalidInput` naming the unknown type or action.
    public static func rule(_ text: String) throws(GuardError) -> Rule {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, knownTypes.contains(parts[0]) else {
            throw GuardError(.invalidInput, "a playbook rule is TYPE=ACTION[+ACTION] with TYPE one of \(knownTypes.sorted().joined(separator: ", ")), got '\(text.prefix(80))'")
        }
        return Rule(types: [parts[0]], actions: try actions(parts[1].split(separator: "+").map(String.init)))
    }

    /// - Throws: `GuardError.invalidInput` for an unknown action or an empty list.
    public static func actions(_ names: [String]) throws(GuardError) -> [Action] {
        guard !names.isEmpty else { throw GuardError(.invalidInput, "a playbook rule needs at least one action (block, revoke, rollback, fallback)") }
        var out: [Action] = []
        for name in names {
            guard let action = Action(rawValue: name) else {
                throw GuardError(.invalidInput, "'\(name.prefix(40))' is not a playbook action (block, revoke, rollback, fallback)")
            }
            if !out.contains(action) { out.append(action) }
        }
        return out
    }
}
