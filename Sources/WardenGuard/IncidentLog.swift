import Synchronization
import WardenCore

/// The alerts the gateway raised, as incidents a person can list and inspect
/// (`warden incident list|show`), each with the playbook actions taken and how they went.
/// In memory and bounded (`capacity`, the oldest go first); every incident and action is also
/// in the audit chain.
public final class IncidentLog: Sendable {
    public struct Step: Sendable, Equatable {
        public var action: String
        /// `done`, `skipped` or `failed`.
        public var outcome: String
        public var detail: String
        public init(action: String, outcome: String, detail: String) {
            self.action = action
            self.outcome = outcome
            self.detail = detail
        }
        public var json: JSONValue { ["action": .string(action), "outcome": .string(outcome), "detail": .string(detail)] }
    }

    public struct Incident: Sendable, Equatable {
        public var id: String
        public var alert: GuardAlert
        /// The principal id the alert is about (`client` in the alert is its name).
        public var clientID: String
        public var steps: [Step]

        public var json: JSONValue {
            .object([
                ("id", .string(id)), ("time", .string(alert.time)), ("type", .string(alert.type)), ("severity", .string(alert.severity.rawValue)),
                ("client", .string(alert.client)), ("client_id", .string(clientID)), ("model", .string(alert.model)), ("details", alert.details),
                ("actions", .array(steps.map(\.json))),
            ])
        }
    }

    public let capacity: Int
    private let state = Mutex<(next: Int, items: [Incident])>((1, []))

    public init(capacity: Int = 1000) { self.capacity = max(1, capacity) }

    /// Opens an incident for an alert; returns its id (`i1`, `i2`, …).
    public func open(_ alert: GuardAlert, clientID: String) -> String {
        state.withLock { state in
            let id = "i\(state.next)"
            state.next += 1
            if state.items.count >= capacity { state.items.removeFirst(state.items.count - capacity + 1) }
            state.items.append(Incident(id: id, alert: alert, clientID: clientID, steps: []))
            return id
        }
    }

    /// Records an action taken for incident `id` (ignored when it is gone).
    public func record(_ id: String, _ step: Step) {
        state.withLock { state in
            guard let index = state.items.firstIndex(where: { $0.id == id }) else { return }
            state.items[index].steps.append(step)
        }
    }

    /// Newest first, at most `limit`; only of `type` when given.
    public func list(type: String? = nil, limit: Int = 100) -> [Incident] {
        state.withLock { Array($0.items.reversed().filter { type == nil || $0.alert.type == type }.prefix(max(0, limit))) }
    }

    public func incident(_ id: String) -> Incident? { state.withLock { $0.items.first { $0.id == id } } }
}
