import Foundation
import Synchronization

/// Values decoded from stored JSON, keyed by the exact text: decoding is a pure function of the
/// text, so a hit returns what decoding would. A row that changes has a new text and misses.
/// Bounded: when `capacity` texts are held, the memo starts again empty.
final class DecodeMemo<Value: Decodable & Sendable>: Sendable {
    private let capacity: Int
    private let values = Mutex<[String: Value]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The value `text` decodes to (Foundation's `JSONDecoder`, as stored rows were always read).
    func value(for text: String) throws -> Value {
        if let known = values.withLock({ $0[text] }) { return known }
        let value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        values.withLock { memo in
            if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
            memo[text] = value
        }
        return value
    }

    /// How many texts are held (tests).
    var count: Int { values.withLock { $0.count } }
}
