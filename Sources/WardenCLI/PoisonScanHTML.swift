import Foundation
import WardenAnalysis

/// The self-contained HTML page of `warden data scan --html`: the verdict, the detectors, per-class
/// counts, score histograms, a 2-D PCA projection coloured by flag, the backdoor tests with the
/// suspected trigger as a heatmap for image-like data (inline SVG, no scripts or external assets)
/// and the table of suspicious rows.
enum PoisonScanHTML {
    static func render(_ report: PoisonScanReport, scores: PoisonScanner.Scores, table: FeatureTable) -> String {
        var body = "<h1>Poisoning scan: \(HTMLReport.escape(report.source))</h1>"
        body += "<p class=\"\(report.isClean ? "ok" : "bad")\">Verdict: <b>\(report.verdict)</b> — \(report.suspicious.count) of \(report.rows) rows flagged (limit \(String(format: "%.2f", report.maxFlaggedFraction * 100)) %). \(report.folds)-fold \(HTMLReport.escape(report.model)), out-of-sample accuracy \(String(format: "%.3f", report.crossValidatedAccuracy)).</p>"
        body += "<h2>Detectors</h2><table><tr><th>detector</th><th>flagged alone</th><th>threshold</th><th>note</th></tr>"
        for d in report.detectors {
            body += "<tr><td>\(d.name)</td><td>\(d.flagged)</td><td>\(HTMLReport.escape(d.threshold))</td><td>\(HTMLReport.escape(d.note ?? ""))</td></tr>"
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
        body += backdoors(report)
        body += "<h2>Suspicious rows</h2><table><tr><th>row</th><th>label</th><th>suggested</th><th>reasons</th><th>p(label)</th><th>knn</th><th>robust z</th><th>d²</th><th>iforest</th><th>spectral</th></tr>"
        for r in report.suspicious.prefix(2000) {
            body += "<tr><td>\(r.index)</td><td>\(HTMLReport.escape(r.label))</td><td>\(HTMLReport.escape(r.suggestedLabel))</td><td>\(r.reasons.map(\.rawValue).joined(separator: ", "))</td>"
            body += String(format: "<td>%.3f</td><td>%.2f</td><td>%.1f</td><td>%@</td><td>%.3f</td><td>%@</td></tr>", r.selfConfidence, r.neighbourDisagreement, r.robustZ, r.mahalanobis.map { String(format: "%.1f", $0) } ?? "-", r.isolation, r.spectral.map { String(format: "%.3g", $0) } ?? "-")
        }
        body += "</table>"
        return HTMLReport.page(title: "Warden poisoning scan", body: body)
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
        return svg + "</svg><figcaption>\(HTMLReport.escape(title)) (√ count)</figcaption></figure>"
    }

    /// The per-class backdoor tests and, for each suspicious class, its trigger heatmap.
    static func backdoors(_ report: PoisonScanReport) -> String {
        guard let backdoor = report.backdoor else { return "" }
        var html = "<h2>Backdoors</h2><p>Representations: \(HTMLReport.escape(backdoor.representation)).</p>"
        html += "<table><tr><th>class</th><th>rows</th><th>small cluster</th><th>silhouette</th><th>d′</th><th>top singular share</th><th>suspicious</th><th>flagged</th></tr>"
        for c in backdoor.classes {
            html += String(format: "<tr><td>%@</td><td>%d</td><td>%d</td><td>%.3f</td><td>%.2f</td><td>%.3f</td><td>%@</td><td>%d</td></tr>", HTMLReport.escape(c.label), c.rows, c.smallCluster, c.silhouette, c.separation, c.spectralShare, c.suspicious ? "<b class=\"bad\">yes</b>" : "no", c.flagged)
        }
        html += "</table>"
        for c in backdoor.classes {
            guard let trigger = c.trigger else { continue }
            html += "<h3>Suspected trigger, class \(HTMLReport.escape(c.label))</h3><div class=\"row\">"
            if let map = trigger.heatmap, let shape = trigger.imageShape { html += heatmap(map, height: shape[1], width: shape[2], box: trigger.box) }
            html += "<table><tr><th>feature</th><th>standardised mean difference</th></tr>"
            for f in trigger.topFeatures { html += String(format: "<tr><td>%@</td><td>%+.2f</td></tr>", HTMLReport.escape(f.name), f.difference) }
            html += "</table></div>"
        }
        return html
    }

    /// `values` (`height × width`) as a grid of squares, darker red for larger values, the box outlined.
    static func heatmap(_ values: [Double], height: Int, width: Int, box: TriggerLocalization.Box?) -> String {
        let cell = Swift.max(4, Swift.min(32, 256 / Swift.max(height, width)))
        let peak = Swift.max(values.max() ?? 1, 1e-12)
        var svg = "<figure><svg width=\"\(width * cell)\" height=\"\(height * cell)\">"
        for y in 0..<height {
            for x in 0..<width {
                let v = values[y * width + x] / peak
                let shade = Int(255 * (1 - v))
                svg += "<rect x=\"\(x * cell)\" y=\"\(y * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(255,\(shade),\(shade))\"><title>(\(y),\(x)) \(String(format: "%.2f", values[y * width + x]))</title></rect>"
            }
        }
        if let box {
            svg += "<rect x=\"\(box.left * cell)\" y=\"\(box.top * cell)\" width=\"\((box.right - box.left + 1) * cell)\" height=\"\((box.bottom - box.top + 1) * cell)\" fill=\"none\" stroke=\"#1f3a93\" stroke-width=\"2\"/>"
        }
        return svg + "</svg><figcaption>|standardised mean difference| per pixel (max over channels); box: the trigger</figcaption></figure>"
    }

    static func bars(labels: [String], values: [Double], highlight: [Double]) -> String {
        let top = values.max() ?? 1
        let width = Swift.max(300, labels.count * 28 + 20)
        var svg = "<svg width=\"\(width)\" height=\"160\">"
        for (i, label) in labels.enumerated() {
            let h = 120 * values[i] / Swift.max(top, 1), f = 120 * highlight[i] / Swift.max(top, 1)
            svg += String(format: "<rect x=\"%d\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#9db5de\"><title>%.0f rows</title></rect>", 10 + i * 28, 130 - h, h, values[i])
            svg += String(format: "<rect x=\"%d\" y=\"%.1f\" width=\"22\" height=\"%.1f\" fill=\"#d93025\"><title>%.0f flagged</title></rect>", 10 + i * 28, 130 - f, f, highlight[i])
            svg += "<text x=\"\(12 + i * 28)\" y=\"148\" font-size=\"10\">\(HTMLReport.escape(String(label.prefix(4))))</text>"
        }
        return svg + "</svg>"
    }

    static func projection(_ table: FeatureTable, flagged: Set<Int>) -> String {
        let n = table.rows
        let pca = PrincipalComponents(values: table.standardized, width: table.width, rows: Array(0..<n), count: 2, iterations: 50)
        let points = (0..<n).map { pca.project(table.standardized, row: $0) + [0, 0] }
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
