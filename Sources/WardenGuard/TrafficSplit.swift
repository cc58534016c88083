import Synchronization

/// A weighted traffic split between versions of a model (A/B): each request goes to one target,
/// in exact proportion to the weights over every run of `sum(weights)` requests (smooth weighted
/// round robin, as nginx balances upstreams: no randomness, so the shares hold from the first
/// requests on and tests are deterministic).
public final class TrafficSplit: Sendable {
    public struct Target: Sendable, Equatable {
        /// A registry version number of the model, or another served model name (`name`, `name@alias`).
        public var name: String
        public var weight: Int
        public init(name: String, weight: Int) {
            self.name = name
            self.weight = weight
        }
    }

    public let targets: [Target]
    private let current: Mutex<[Int]>

    /// - Throws: `GuardError.invalidInput` unless there are two or more targets with positive weights.
    public init(_ targets: [Target]) throws(GuardError) {
        guard targets.count >= 2, targets.allSatisfy({ $0.weight > 0 && $0.weight <= 1_000_000 }) else {
            throw GuardError(.invalidInput, "a traffic split needs two or more targets with weights in 1…1000000")
        }
        guard Set(targets.map(\.name)).count == targets.count else { throw GuardError(.invalidInput, "a traffic split names a target twice") }
        self.targets = targets
        current = Mutex([Int](repeating: 0, count: targets.count))
    }

    /// The next request's target.
    public func next() -> Target {
        let total = targets.reduce(0) { $0 + $1.weight }
        let index = current.withLock { current in
            var best = 0
            for i in targets.indices {
                current[i] += targets[i].weight
                if current[i] > current[best] { best = i }
            }
            current[best] -= total
            return best
        }
        return targets[index]
    }
}
