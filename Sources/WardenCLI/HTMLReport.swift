import Foundation

/// What every self-contained HTML page of the CLI shares (`data scan --html`, `robustness report
/// --html`): escaping, the page with its inline style, and inline SVG charts. No scripts and no
/// external assets, so a page opens offline and can be mailed as one file.
enum HTMLReport {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A complete page around `body` (already HTML).
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(escape(title))</title><style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
        td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.ok{color:#1a7f37}.bad{color:#b42318}
        .row{display:flex;flex-wrap:wrap;gap:1em}svg{background:#fafafa;border:1px solid #eee}
        </style></head><body>\(body)</body></html>
        """
    }

    /// Distinct colours for chart series, in order.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// One line of a chart: points in data coordinates, dashed for a compared (e.g. defended) model.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var dashed = false
    }

    /// A line chart with axes, ticks, a legend and a `<title>` tooltip on every point. The y axis is
    /// 0…1 (accuracies); the x axis spans the points. Each line is a `<polyline class="series">`
    /// with its name in `data-series`.
    static func lineChart(title: String, x xLabel: String, y yLabel: String, series: [Series]) -> String {
        let (width, height) = (520.0, 320.0)
        let (left, right, top, bottom) = (50.0, 150.0, 20.0, 40.0)
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = Swift.max(xs.max() ?? 1, x0 + 1e-9)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - Swift.min(Swift.max(y, 0), 1)) * plotHeight }
        var svg = "<figure><svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", left, top + plotHeight, left + plotWidth, top + plotHeight)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>", left, top, left, top + plotHeight)
        for i in 0...4 {
            let y = Double(i) / 4, tx = x0 + (x1 - x0) * Double(i) / 4
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", left, py(y), left + plotWidth, py(y))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.2f</text>", left - 4, py(y) + 3, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%.3g</text>", px(tx), top + plotHeight + 14, tx)
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%@</text>", left + plotWidth / 2, height - 6, escape(xLabel))
        svg += String(format: "<text x=\"12\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 %.1f)\">%@</text>", top + plotHeight / 2, top + plotHeight / 2, escape(yLabel))
        for (i, line) in series.enumerated() {
            let colour = palette[i % palette.count]
            let coordinates = line.points.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-series=\"\(escape(line.name))\" points=\"\(coordinates)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
            for point in line.points {
                svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"><title>%@: %.4g → %.3f</title></circle>", px(point.x), py(point.y), colour, escape(line.name), point.x, point.y)
            }
            let ly = top + 10 + Double(i) * 16
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>", width - right + 10, ly, width - right + 30, ly, colour, line.dashed ? " stroke-dasharray=\"5,3\"" : "")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%@</text>", width - right + 34, ly + 4, escape(String(line.name.prefix(22))))
        }
        return svg + "</svg><figcaption>\(escape(title))</figcaption></figure>"
    }
}
