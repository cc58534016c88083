import Foundation
import Synchronization
import WardenCore

/// Queries the adversarial detector flagged under the `review` policy, waiting for a person
/// (`GET /v2/guard/reviews`, `POST /v2/guard/reviews/{id}/resolve`). Bounded: past `capacity`
/// items, the oldest resolved ones go first, then the oldest open ones. In memory (a restart
/// empties it; every item is also in the audit chain as `guard.adversarial`).
final class ReviewQueue: Sendable {
    struct Item: Sendable {
        var id: String
        var time: String
        var client: String
        var model: String
        var details: JSONValue
        var verdict: String?
        var resolvedBy: String?
        var note: String?

        var json: JSONValue {
            .object([
                ("id", .string(id)), ("time", .string(time)), ("client", .string(client)), ("model", .string(model)), ("details", details),
                ("status", .string(verdict == nil ? "open" : "resolved")), ("verdict", verdict.map { .string($0) } ?? .null),
                ("resolved_by", resolvedBy.map { .string($0) } ?? .null), ("note", note.map { .string($0) } ?? .null),
            ])
        }
    }

    static let verdicts = ["benign", "adversarial"]
    let capacity: Int
    private let state = Mutex<(next: Int, items: [Item])>((1, []))

    init(capacity: Int = 1000) { self.capacity = max(1, capacity) }

    /// Adds an open item; returns its id.
    func add(time: String, client: String, model: String, details: JSONValue) -> String {
        state.withLock { state in
            let id = "r\(state.next)"
            state.next += 1
            if state.items.count >= capacity {
                let victim = state.items.firstIndex { $0.verdict != nil } ?? 0
                state.items.remove(at: victim)
            }
            state.items.append(Item(id: id, time: time, client: client, model: model, details: details))
            return id
        }
    }

    /// Items, oldest first; `open` only when asked.
    func list(openOnly: Bool) -> [Item] { state.withLock { $0.items.filter { !openOnly || $0.verdict == nil } } }

    /// Records a verdict. Nil when no item has this id.
    func resolve(_ id: String, verdict: String, by: String, note: String?) -> Item? {
        state.withLock { state in
            guard let index = state.items.firstIndex(where: { $0.id == id }) else { return nil }
            state.items[index].verdict = verdict
            state.items[index].resolvedBy = by
            state.items[index].note = note
            return state.items[index]
        }
    }
}
