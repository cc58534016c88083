import Synchronization
import WardenCore

/// The alerts the gateway raised, as incidents a person can list and inspect
/// (`warden incident list|show`), each with the playbook actions taken and how they went.
/// In memory and bounded (`capacity`, the oldest go first); every incident and action is also
/// in the audit chain. The gateway keeps them in its store as well and ``restore(_:)``s them after
/// a restart.
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

        public init(id: String, alert: GuardAlert, clientID: String, steps: [Step]) {
            self.id = id
            self.alert = alert
            self.clientID = clientID
            self.steps = steps
        }

        /// Reads ``json`` back; nil for anything that does not read as an incident (hand-edited,
        /// truncated), with every text cleaned and bounded as when it was made.
        public init?(json: JSONValue) {
            func text(_ value: JSONValue?, _ limit: Int) -> String? {
                guard let value = value?.stringValue, value.utf8.count <= limit * 4 else { return nil }
                return String(String.UnicodeScalarView(value.unicodeScalars.prefix(limit).filter { $0.value >= 0x20 && $0.value != 0x7F }))
            }
            guard let id = text(json["id"], 40), IncidentLog.number(id) != nil, let time = text(json["time"], 64), let type = text(json["type"], 64),
                let severity = json["severity"]?.stringValue.flatMap(GuardAlert.Severity.init(rawValue:)), let client = text(json["client"], 200),
                let clientID = text(json["client_id"], 200), let model = text(json["model"], 200), let details = json["details"],
                case .object = details, let actions = json["actions"]?.arrayValue, actions.count <= 16
            else { return nil }
            var steps: [Step] = []
            for action in actions {
                guard let name = text(action["action"], 40), let outcome = text(action["outcome"], 40), let detail = text(action["detail"], 500) else { return nil }
                steps.append(Step(action: name, outcome: outcome, detail: detail))
            }
            self.init(id: id, alert: GuardAlert(time: time, type: type, severity: severity, client: client, model: model, details: details), clientID: clientID, steps: steps)
        }

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

    /// The number of an incident id (`i12` → 12).
    public static func number(_ id: String) -> Int? {
        guard id.hasPrefix("i"), let number = Int(id.dropFirst()), number > 0 else { return nil }
        return number
    }

    /// Puts incidents kept from before a restart back (the newest `capacity` of them and of those
    /// opened since, in id order); new ids continue after the highest.
    public func restore(_ stored: [Incident]) {
        state.withLock { state in
            var byNumber: [Int: Incident] = [:]
            for incident in stored + state.items { if let number = Self.number(incident.id) { byNumber[number] = incident } }
            let numbers = byNumber.keys.sorted().suffix(capacity)
            state.items = numbers.compactMap { byNumber[$0] }
            state.next = max(state.next, (numbers.last ?? 0) + 1)
        }
    }
}
