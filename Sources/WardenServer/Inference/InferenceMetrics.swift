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
        out += "# HELP guard_rejections_total Requests refused, by reason.\n"
        out += "# TYPE guard_rejections_total counter\n"
        for (reason, count) in snapshot.rejections.sorted(by: { $0.key < $1.key }) {
            out += "guard_rejections_total{reason=\"\(Self.escape(reason))\"} \(count)\n"
        }
        out += "# HELP guard_predicted_rows_total Rows (queries) predicted, by model.\n"
        out += "# TYPE guard_predicted_rows_total counter\n"
        for (model, count) in snapshot.rows.sorted(by: { $0.key < $1.key }) {
            out += "guard_predicted_rows_total{model=\"\(Self.escape(model))\"} \(count)\n"
        }
        out += "# HELP guard_extraction_alerts_total Clients flagged for model extraction, by detector.\n"
        out += "# TYPE guard_extraction_alerts_total counter\n"
        for (detector, count) in snapshot.detections.sorted(by: { $0.key < $1.key }) {
            out += "guard_extraction_alerts_total{detector=\"\(Self.escape(detector))\"} \(count)\n"
        }
        out += "# HELP guard_adversarial_detections_total Queries flagged as adversarial or out of distribution, by detector.\n"
        out += "# TYPE guard_adversarial_detections_total counter\n"
        for (detector, count) in snapshot.adversarial.sorted(by: { $0.key < $1.key }) {
            out += "guard_adversarial_detections_total{detector=\"\(Self.escape(detector))\"} \(count)\n"
        }
        return out
    }

    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
