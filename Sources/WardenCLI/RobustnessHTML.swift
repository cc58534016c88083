import Foundation
import WardenAnalysis

/// The self-contained HTML page of `warden robustness report --html`: accuracy vs ε for the budget
/// attacks, accuracy vs L2 radius for the minimum-norm attacks beside the certified accuracy of
/// randomized smoothing (inline SVG, compared models dashed), then the numbers behind every point
/// and the compared models' change in accuracy.
enum RobustnessHTML {
    static func render(_ report: RobustnessReport) -> String {
        let e = HTMLReport.escape
        var body = "<h1>Robustness report: \(e(report.models.first?.name ?? ""))</h1>"
        body += "<p>\(report.n) rows of \(e(report.data)), inputs clipped to \(format(report.clip[0]))…\(format(report.clip[1])), \(String(format: "%.1f", report.seconds)) s in all.</p>"
        body += "<table><tr><th>model</th><th>clean accuracy</th><th>seconds</th></tr>"
        for model in report.models {
            body += "<tr><td>\(e(model.name))</td><td>\(format(model.cleanAccuracy))</td><td>\(String(format: "%.2f", model.seconds))</td></tr>"
        }
        body += "</table><div class=\"row\">"
        var budget: [HTMLReport.Series] = [], radius: [HTMLReport.Series] = []
        for (index, model) in report.models.enumerated() {
            let suffix = report.models.count > 1 ? " (\(index + 1): \(URL(fileURLWithPath: model.name).lastPathComponent))" : ""
            for curve in model.curves {
                budget.append(.init(name: curve.attack.rawValue + suffix, points: curve.points.map { ($0.epsilon ?? 0, $0.robustAccuracy) }, dashed: index > 0))
            }
            for attack in model.minimumNorm {
                radius.append(.init(name: attack.report.attack.rawValue + suffix, points: attack.curve.map { ($0.radius, $0.accuracy) }, dashed: index > 0))
            }
            if let certification = model.certification {
                radius.append(.init(name: "certified σ=\(format(certification.sigma))" + suffix, points: certification.curve.map { ($0.radius, $0.accuracy) }, dashed: index > 0))
            }
        }
        if !budget.isEmpty { body += HTMLReport.lineChart(title: "Robust accuracy vs ε (L∞ budget)", x: "ε", y: "accuracy", series: budget) }
        if !radius.isEmpty {
            body += HTMLReport.lineChart(title: "Accuracy vs L2 radius (attacks: upper bound; certified: lower bound)", x: "L2 radius", y: "accuracy", series: radius)
        }
        body += "</div>"
        for model in report.models {
            body += "<h2>\(e(model.name))</h2>"
            body += "<table><tr><th>attack</th><th>ε</th><th>robust accuracy</th><th>success rate</th><th>median L2</th><th>median L∞</th><th>median queries</th><th>seconds</th></tr>"
            for point in model.curves.flatMap(\.points) + model.minimumNorm.map(\.report) { body += row(point) }
            body += "</table>"
            if let c = model.certification {
                body += "<p>Randomized smoothing σ=\(format(c.sigma)), n=\(c.samples), α=\(format(c.alpha)): smoothed accuracy \(format(c.smoothedAccuracy)), abstained on \(format(c.abstainRate)), \(String(format: "%.2f", c.seconds)) s.</p>"
                body += "<table><tr><th>L2 radius</th>" + c.curve.map { "<th>\(format($0.radius))</th>" }.joined() + "</tr><tr><td>certified accuracy</td>"
                body += c.curve.map { "<td>\(format($0.accuracy))</td>" }.joined() + "</tr></table>"
            }
        }
        for comparison in report.comparisons {
            body += "<h2>\(e(comparison.model)) against \(e(comparison.base))</h2>"
            body += "<p class=\"\(comparison.cleanAccuracyChange < 0 ? "bad" : "ok")\">Clean accuracy change \(signed(comparison.cleanAccuracyChange)) (the cost of the defence when negative).</p>"
            body += "<table><tr><th>attack</th><th>ε</th><th>robust accuracy change</th></tr>"
            for change in comparison.robustAccuracyChange {
                body += "<tr><td>\(change.attack.rawValue)</td><td>\(format(change.epsilon))</td><td class=\"\(change.change < 0 ? "bad" : "ok")\">\(signed(change.change))</td></tr>"
            }
            body += "</table>"
        }
        return HTMLReport.page(title: "Warden robustness report", body: body)
    }

    static func row(_ r: AttackReport) -> String {
        let cells = [
            r.attack.rawValue, r.epsilon.map(format) ?? "min-norm", format(r.robustAccuracy), format(r.successRate), r.medianL2.map(format) ?? "-",
            r.medianLinf.map(format) ?? "-", r.queriesMedian.map { String(format: "%.0f", $0) } ?? "-", String(format: "%.2f", r.seconds),
        ]
        return "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
    }

    static func format(_ value: Double) -> String { String(format: "%.4g", value) }

    static func signed(_ value: Double) -> String { String(format: "%+.3f", value) }
}
