import Synchronization
import WardenGuard

/// Which model a bare name serves right now: a fallback switched on by a playbook (until a person
/// restores the model, `warden incident restore`), else the configured traffic split (A/B), else
/// the name itself.
final class ServingRoutes: Sendable {
    let splits: [String: TrafficSplit]
    private let fallbacks = Mutex<[String: String]>([:])

    init(splits: [String: TrafficSplit]) { self.splits = splits }

    /// Serves `fallback` for requests to `model` (by bare name) from now on.
    func fallBack(_ model: String, to fallback: String) { fallbacks.withLock { $0[model] = fallback } }

    /// Ends a fallback; the fallback model it used, or nil when none was active.
    func restore(_ model: String) -> String? { fallbacks.withLock { $0.removeValue(forKey: model) } }

    var activeFallbacks: [String: String] { fallbacks.withLock { $0 } }

    /// Where a request for `name` (no explicit version) goes: `(name, version)` to resolve, and the
    /// split target chosen (nil when no split applied).
    func route(_ name: String) -> (name: String, version: String?, target: String?) {
        if let fallback = fallbacks.withLock({ $0[name] }) { return (fallback, nil, nil) }
        guard let split = splits[name] else { return (name, nil, nil) }
        let target = split.next()
        if let number = Int(target.name), number > 0 { return (name, String(number), target.name) }
        return (target.name, nil, target.name)
    }
}
