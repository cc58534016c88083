import Foundation
import WardenAnalysis

/// The self-contained HTML page of `warden data scan --html`: the verdict, the detectors, per-class
/// counts, score histograms, a 2-D PCA projection coloured by flag (inline SVG, no scripts or
/// external assets) and the table of suspicious rows.
enum PoisonScanHTML {
    static func render(_ report: PoisonScanReport, scores: PoisonScanner.Scores, table: FeatureTable) -> String {
        var body = "<h1>Poisoning scan: \(escape(report.source))</h1>"
        body += "<p class=\"\(report.isClean ? "ok" : "bad")\">Verdict: <b>\(report.verdict)</b> — \(report.suspicious.count) of \(report.rows) rows flagged (limit \(String(format: "%.2f", report.maxFlaggedFraction * 100)) %). \(report.folds)-fold \(escape(report.model)), out-of-sample accuracy \(String(format: "%.3f", report.crossValidatedAccuracy)).</p>"
        body += "<h2>Detectors</h2><table><tr><th>detector</th><th>flagged alone</th><th>threshold</th><th>note</th></tr>"
        for d in report.detectors {
            body += "<tr><td>\(d.name)</td><td>\(d.flagged)</td><td>\(escape(d.threshold))</td><td>\(escape(d.note ?? ""))</td></tr>"
        }
        body += "</table><h2>Rows per class</h2>"
        var flaggedPerClass = [Int](repeating: 0, count: report.classes.count)
        for row in report.suspicious { if let c = report.classes.firstIndex(of: row.label) { flaggedPerClass[c] += 1 } }
        body += bars(labels: report.classes, values: report.classCounts.map(Double.init), highlight: flaggedPerClass.map(Double.init))
        body += "<h2>Scores</h2><div class=\"row\">"
        body += histogram("self-confidence p(label)", scores.selfConfidence)
        body += histogram("neighbour disagreement", scores.neighbourDisagreement)
        body += histogram("isolation forest", scores.isolation)
        if let m = scores.mahalanobis { body += histogram("log10 robust Mahalanobis d²", m.map { log10(Swift.max($0, 1e-3)) }) }
        body += "</div><h2>2-D projection (first two principal components; red = flagged)</h2>"
        body += projection(table, flagged: Set(report.flaggedIndices))
        body += "<h2>Suspicious rows</h2><table><tr><th>row</th><th>label</th><th>suggested</th><th>reasons</th><th>p(label)</th><th>knn</th><th>robust z</th><th>d²</th><th>iforest</th></tr>"
        for r in report.suspicious.prefix(2000) {
            body += "<tr><td>\(r.index)</td><td>\(escape(r.label))</td><td>\(escape(r.suggestedLabel))</td><td>\(r.reasons.map(\.rawValue).joined(separator: ", "))</td>"
            body += String(format: "<td>%.3f</td><td>%.2f</td><td>%.1f</td><td>%@</td><td>%.3f</td></tr>", r.selfConfidence, r.neighbourDisagreement, r.robustZ, r.mahalanobis.map { String(format: "%.1f", $0) } ?? "-", r.isolation)
        }
        body += "</table>"
        return """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>Warden poisoning scan</title><style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
            td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.ok{color:#1a7f37}.bad{color:#b42318}
            .row{display:flex;flex-wrap:wrap;gap:1em}svg{background:#fafafa;border:1px solid #eee}
            </style></head><body>\(body)</body></html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func histogram(_ title: String, _ values: [Double], bins: Int = 30) -> String {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "" }
        var counts = [Int](repeating: 0, count: bins)
        for v in finite { counts[Swift.min(bins - 1, high > low ? Int((v - low) / (high - low) * Double(bins)) : 0)] += 1 }
        let top = Double(counts.max() ?? 1)
        var svg = "<figure><svg width=\"320\" height=\"150\">"
        for (i, c) in counts.enumerated() where c > 0 {
            // Square-root scale so the few suspicious rows stay visible beside the bulk.
            let h = 120 * (Double(c) / top).squareRoot()
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"%.1f\" fill=\"#4a78c2\"><title>%d</title></rect>", 10 + Double(i) * 10, 130 - h, h, c)
        }
        svg += String(format: "<text x=\"10\" y=\"145\" font-size=\"10\">%.3g</text><text x=\"270\" y=\"145\" font-size=\"10\">%.3g</text>", low, high)
        return svg + "</svg><figcaption>\(escape(title)) (√ count)</figcaption></figure>"
    }

    static func bars(labels: [String], values: [Double], highlight: [Double]) -> String {
        let top = values.max() ?? 1
        let width = Swift.max(300, labels.count * 28 + 20)
        var svg = "<svg width=\"\(width)\" height=\"160\">"
        for (i, label) in labels.enumerated() {
            let h = 120 * values[i] / Swift.max(top, 1), f = 120 * highlight[i] / Swift.max(top, 1)
            svg += String(format: "<rect x=\"%d\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#9db5de\"><title>%.0f rows</title></rect>", 10 + i * 28, 130 - h, h, values[i])
            svg += String(format: "<rect x=\"%d\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#d93025\"><title>%.0f flagged</title></rect>", 10 + i * 28, 130 - f, f, highlight[i])
            svg += "<text x=\"\(12 + i * 28)\" y=\"148\" font-size=\"10\">\(escape(String(label.prefix(4))))</text>"
        }
        return svg + "</svg>"
    }

    static func projection(_ table: FeatureTable, flagged: Set<Int>) -> String {
        let n = table.rows, d = table.width, x = table.standardized
        var components: [[Double]] = []
        for component in 0..<2 {
            var v = (0..<d).map { Double(($0 * 7 + component * 3) % 11) + 1 }
            for _ in 0..<50 {
                var next = [Double](repeating: 0, count: d)
                for row in 0..<n {
                    var dot = 0.0
                    for c in 0..<d { dot += Double(x[row * d + c]) * v[c] }
                    for c in 0..<d { next[c] += dot * Double(x[row * d + c]) }
                }
                for previous in components {
                    let dot = zip(next, previous).reduce(0) { $0 + $1.0 * $1.1 }
                    for c in 0..<d { next[c] -= dot * previous[c] }
                }
                let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { break }
                v = next.map { $0 / norm }
            }
            components.append(v)
        }
        let points = (0..<n).map { row in
            components.map { v in (0..<d).reduce(0.0) { $0 + Double(x[row * d + $1]) * v[$1] } }
        }
        let xs = points.map { $0[0] }, ys = points.map { $0[1] }
        let (x0, x1, y0, y1) = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        var svg = "<svg width=\"520\" height=\"420\">"
        let order = (0..<n).filter { !flagged.contains($0) } + flagged.sorted()
        for row in order.prefix(20_000) {
            let px = 10 + 500 * (xs[row] - x0) / Swift.max(x1 - x0, 1e-9), py = 410 - 400 * (ys[row] - y0) / Swift.max(y1 - y0, 1e-9)
            let bad = flagged.contains(row)
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%@\" fill=\"%@\"><title>row %d</title></circle>", px, py, bad ? "3.5" : "2", bad ? "#d93025" : "#4a78c2aa", row)
        }
        return svg + "</svg>"
    }
}
