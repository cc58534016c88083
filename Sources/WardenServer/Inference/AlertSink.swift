import Foundation
import Synchronization
import WardenCore
import WardenGuard

/// Where the gateway's detectors and limits report. Every alert (``GuardAlert``: `time`, `type`,
/// `severity`, `client` — the token's name —, `model`, `details`) goes to each configured sink:
/// one JSON object per line appended to a file (`--alerts FILE`, `inference.alerts`), one CEF line
/// appended to a file for a SIEM (`--alert-cef FILE`, `inference.cef`), and a JSON POST to a
/// webhook through a bounded queue (`--alert-webhook URL`, `inference.webhook`) that never holds
/// up a request. Repeats of the same type for the same client and model within ``quietSeconds``
/// are counted, not sent (a client hammering the rate limit produces one alert a minute, with
/// `suppressed`). Sink failures are reported to the caller's log, never fail the request.
/// Memory is bounded by ``maxKeys`` remembered (type, client, model) triples.
final class AlertSink: Sendable {
    let path: String?
    let cefPath: String?
    let cef: CEFFormatter
    let webhook: WebhookQueue?
    let clock: WardenClock
    let quietSeconds: Double
    let maxKeys = 10_000
    private let recent = Mutex<[String: (time: Double, suppressed: Int)]>([:])
    private let written = Mutex<[String: Int]>([:])

    init(path: String?, clock: WardenClock, quietSeconds: Double = 60, cefPath: String? = nil, cef: CEFFormatter? = nil, webhook: WebhookQueue? = nil) {
        self.path = path
        self.clock = clock
        self.quietSeconds = quietSeconds
        self.cefPath = cefPath
        self.cef = cef ?? CEFFormatter(version: InferenceAPI.serverVersion)
        self.webhook = webhook
    }

    /// Records an alert and sends it to the sinks; returns it (nil when suppressed as a repeat).
    /// `failed` hears of each sink that could not take it (a file that cannot be appended to, a
    /// full webhook queue).
    @discardableResult
    func emit(type: String, client: String, model: String, details: JSONValue, failed: (String) -> Void = { _ in }) -> GuardAlert? {
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
        let alert = GuardAlert(time: WardenClock.rfc3339(now), type: type, client: client, model: model, details: details, suppressed: suppressed)
        written.withLock { $0[type, default: 0] += 1 }
        if let path {
            do { try FileIO.append(alert.json.compactString + "\n", to: path) } catch { failed("the alert file: \(error.message)") }
        }
        if let cefPath {
            do { try FileIO.append(cef.line(alert) + "\n", to: cefPath) } catch { failed("the CEF file: \(error.message)") }
        }
        if let webhook, !webhook.enqueue(Array(alert.json.compactString.utf8)) {
            failed("the webhook queue is full (\(webhook.policy.capacity) alerts waiting); this alert is not posted")
        }
        return alert
    }

    /// Alerts written so far, by type (the `guard_alerts_total` metric).
    var counts: [String: Int] { written.withLock { $0 } }
}
