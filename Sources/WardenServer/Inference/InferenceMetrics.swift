import Foundation
import Synchronization

/// The gateway's Prometheus metrics, exposed at `GET /metrics` in the text format (version 0.0.4):
/// `guard_requests_total{model,code}`, `guard_request_duration_seconds{model}`
/// (histogram), `guard_rejections_total{reason}`, `guard_predicted_rows_total{model}`,
/// `guard_extraction_alerts_total{detector}`, `guard_adversarial_detections_total{detector}`.
/// Labels are bounded: `model` is a served model's name (requests for unknown models count under
/// `model=""`), `reason` one of the fixed refusal reasons; never a client or request id.
final class InferenceMetrics: Sendable {
    /// Upper bounds of the latency buckets (seconds).
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Histogram {
        var counts = [Int](repeating: 0, count: InferenceMetrics.buckets.count)
        var sum = 0.0
        var count = 0
    }

    struct State {
        var requests: [String: [Int: Int]] = [:]
        var durations: [String: Histogram] = [:]
        var rejections: [String: Int] = [:]
        var rows: [String: Int] = [:]
        var detections: [String: Int] = [:]
        var adversarial: [String: Int] = [:]
        /// (model, target) → requests routed by a traffic split.
        var splits: [Pair: Int] = [:]
        /// (model, version) → requests served, rows, seconds.
        var versions: [Pair: (requests: Int, rows: Int, seconds: Double)] = [:]
    }

    struct Pair: Hashable, Comparable {
        var a: String
        var b: String
        static func < (lhs: Pair, rhs: Pair) -> Bool { (lhs.a, lhs.b) < (rhs.a, rhs.b) }
    }

    private let state = Mutex(State())

    /// Counts one finished request.
    func record(model: String, status: Int, seconds: Double, rejection: String?) {
        state.withLock { state in
            state.requests[model, default: [:]][status, default: 0] += 1
            var histogram = state.durations[model] ?? Histogram()
            if let bucket = Self.buckets.firstIndex(where: { seconds <= $0 }) { histogram.counts[bucket] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[model] = histogram
            if let rejection { state.rejections[rejection, default: 0] += 1 }
        }
    }

    /// Counts rows predicted.
    func count(rows: Int, model: String) { state.withLock { $0.rows[model, default: 0] += rows } }

    /// Counts a detector's flag (`prada`, `low_margin`, `volume`).
    func countDetection(_ detector: String) { state.withLock { $0.detections[detector, default: 0] += 1 } }

    /// Counts a flagged query by rule (`mahalanobis`, `squeezing`, `low_confidence`).
    func countAdversarial(_ detector: String) { state.withLock { $0.adversarial[detector, default: 0] += 1 } }

    /// Counts a request a traffic split sent to `target`.
    func countSplit(_ model: String, target: String) { state.withLock { $0.splits[Pair(a: model, b: target), default: 0] += 1 } }

    /// Counts a request served by a model version (A/B comparisons).
    func countVersion(_ model: String, version: String, rows: Int, seconds: Double) {
        state.withLock { state in
            var entry = state.versions[Pair(a: model, b: version)] ?? (0, 0, 0)
            entry.requests += 1
            entry.rows += rows
            entry.seconds += seconds
            state.versions[Pair(a: model, b: version)] = entry
        }
    }

    /// The exposition text.
    func text() -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        out += "# HELP guard_requests_total Inference API requests by model and HTTP status.\n"
        out += "# TYPE guard_requests_total counter\n"
        for model in snapshot.requests.keys.sorted() {
            for (code, count) in snapshot.requests[model]!.sorted(by: { $0.key < $1.key }) {
                out += "guard_requests_total{model=\"\(Self.escape(model))\",code=\"\(code)\"} \(count)\n"
            }
        }
        out += "# HELP guard_request_duration_seconds Time from request to response.\n"
        out += "# TYPE guard_request_duration_seconds histogram\n"
        for model in snapshot.durations.keys.sorted() {
            let histogram = snapshot.durations[model]!
            let label = "model=\"\(Self.escape(model))\""
            var cumulative = 0
            for (bound, count) in zip(Self.buckets, histogram.counts) {
                cumulative += count
                out += "guard_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "guard_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            out += "guard_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            out += "guard_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        Self.counter(&out, "guard_rejections_total", help: "Requests refused, by reason.", label: "reason", snapshot.rejections)
        Self.counter(&out, "guard_predicted_rows_total", help: "Rows (queries) predicted, by model.", label: "model", snapshot.rows)
        Self.counter(
            &out, "guard_extraction_alerts_total", help: "Clients flagged for model extraction, by detector.", label: "detector", snapshot.detections)
        Self.counter(
            &out, "guard_adversarial_detections_total", help: "Queries flagged as adversarial or out of distribution, by detector.",
            label: "detector", snapshot.adversarial)
        out += "# HELP guard_split_requests_total Requests a traffic split routed, by split and target.\n"
        out += "# TYPE guard_split_requests_total counter\n"
        for (pair, count) in snapshot.splits.sorted(by: { $0.key < $1.key }) {
            out += "guard_split_requests_total{model=\"\(Self.escape(pair.a))\",target=\"\(Self.escape(pair.b))\"} \(count)\n"
        }
        let versions = snapshot.versions.sorted { $0.key < $1.key }
        typealias Entry = (requests: Int, rows: Int, seconds: Double)
        let families: [(String, String, (Entry) -> String)] = [
            ("guard_version_requests_total", "Successful inference requests by model and version.", { String($0.requests) }),
            ("guard_version_rows_total", "Rows predicted by model and version.", { String($0.rows) }),
            ("guard_version_duration_seconds_total", "Time spent serving successful requests, by model and version.", { String($0.seconds) }),
        ]
        for (name, help, value) in families {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (pair, entry) in versions {
                out += "\(name){model=\"\(Self.escape(pair.a))\",version=\"\(Self.escape(pair.b))\"} \(value(entry))\n"
            }
        }
        return out
    }

    /// Appends a counter family with one label: HELP, TYPE, then one sample per value, sorted by label value.
    static func counter(_ out: inout String, _ name: String, help: String, label: String, _ values: [String: Int]) {
        out += "# HELP \(name) \(help)\n"
        out += "# TYPE \(name) counter\n"
        for (value, count) in values.sorted(by: { $0.key < $1.key }) {
            out += "\(name){\(label)=\"\(escape(value))\"} \(count)\n"
        }
    }

    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
