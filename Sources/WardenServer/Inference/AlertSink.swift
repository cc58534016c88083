import Foundation
import Synchronization
import WardenCore

/// Where the gateway's detectors and limits report: one JSON object per line appended to a file
/// (`--alerts FILE`, warden.yaml `inference.alerts`), with `time`, `type` (`extraction`,
/// `adversarial`, `rate_limit`, `overload`, …), `client` (the token's name), `model` and `details`.
/// Repeats of the same type for the same client and model within ``quietSeconds`` are counted, not
/// written (a client hammering the rate limit produces one line a minute, with `suppressed`).
/// Write failures are logged by the caller, never fail the request. Memory is bounded by
/// ``maxKeys`` remembered (type, client, model) triples.
final class AlertSink: Sendable {
    let path: String?
    let clock: WardenClock
    let quietSeconds: Double
    let maxKeys = 10_000
    private let recent = Mutex<[String: (time: Double, suppressed: Int)]>([:])
    private let written = Mutex<[String: Int]>([:])

    init(path: String?, clock: WardenClock, quietSeconds: Double = 60) {
        self.path = path
        self.clock = clock
        self.quietSeconds = quietSeconds
    }

    /// Records an alert; returns the line written (nil when suppressed as a repeat).
    /// - Throws: `WardenError` `.io` when the file cannot be appended to.
    @discardableResult
    func emit(type: String, client: String, model: String, details: JSONValue) throws(WardenError) -> String? {
        let now = clock.now()
        let key = "\(type)\u{0}\(client)\u{0}\(model)"
        let suppressed: Int? = recent.withLock { recent in
            if let last = recent[key], now.timeIntervalSince1970 - last.time < quietSeconds, now.timeIntervalSince1970 >= last.time {
                recent[key] = (last.time, last.suppressed + 1)
                return nil
            }
            if recent.count >= maxKeys { recent = recent.filter { now.timeIntervalSince1970 - $0.value.time < quietSeconds } }
            if recent.count >= maxKeys { recent.removeAll() }
            let repeats = recent[key]?.suppressed ?? 0
            recent[key] = (now.timeIntervalSince1970, 0)
            return repeats
        }
        guard let suppressed else { return nil }
        var fields: [(String, JSONValue)] = [
            ("time", .string(WardenClock.rfc3339(now))), ("type", .string(type)), ("client", .string(client)), ("model", .string(model)),
            ("details", details),
        ]
        if suppressed > 0 { fields.append(("suppressed", .int(Int64(suppressed)))) }
        let line = JSONValue.object(fields).compactString
        written.withLock { $0[type, default: 0] += 1 }
        if let path { try FileIO.append(line + "\n", to: path) }
        return line
    }

    /// Alerts written so far, by type (the `guard_alerts_total` metric).
    var counts: [String: Int] { written.withLock { $0 } }
}
