import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenFormats

/// `warden data drift OLD NEW`: is a new version of a dataset still the same kind of data?
struct DataDriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare a new version of a CSV table with the reference: schema, per-feature tests, MMD, label shift, outliers.",
        discussion: """
            Schema changes (columns added, removed, or changing between numeric and categorical); \
            per shared feature a two-sample Kolmogorov–Smirnov test (numbers) or a χ² homogeneity \
            test (categories), p-values adjusted by Benjamini–Hochberg, and the population \
            stability index (OLD's deciles); MMD² with a Gaussian kernel over the numeric features \
            (standardised by OLD, up to --mmd-rows rows of each, seeded permutation test); the label \
            distribution (χ² and total variation) with --label; and NEW's rows whose robust z-score \
            against OLD's median/MAD exceeds --outlier-z.

            The gate trips on a schema change, a feature with adjusted p < --alpha and PSI ≥ \
            --psi-threshold, MMD p < --alpha, a label shift with p < --alpha and total variation ≥ \
            --label-shift-threshold, or more than --outlier-fraction of NEW's rows being outliers.

            Exit codes: 0 no drift · 1 the gate tripped · 2 bad usage or unreadable input.

            Example:
              warden data drift data/v1.csv data/v2.csv --label label
              warden data drift data/v1.csv data/v2.csv --alpha 0.001 --psi-threshold 0.25 --json
            """
    )

    @Argument(help: "The reference CSV table.") var old: String
    @Argument(help: "The new CSV table.") var new: String
    @Option(help: "The label column (tested for label shift, not as a feature).") var label: String?
    @Option(help: "Significance level after correction.") var alpha: Double = 0.01
    @Option(help: "PSI a significant feature needs to count as drifted.") var psiThreshold: Double = 0.1
    @Option(help: "Total variation a significant label shift needs.") var labelShiftThreshold: Double = 0.05
    @Option(help: "MMD permutations.") var permutations: Int = 200
    @Option(help: "Rows sampled from each table for MMD.") var mmdRows: Int = 400
    @Option(help: "Robust z-score above which a NEW row is an outlier.") var outlierZ: Double = 8
    @Option(help: "Fraction of outlier rows in NEW that trips the gate.") var outlierFraction: Double = 0.01
    @Option(help: "Seed for MMD sampling and permutations.") var seed: UInt64 = 0
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
        guard permutations >= 1, permutations <= 100_000 else { throw ValidationError("--permutations must be in 1…100000") }
        guard mmdRows >= 2, mmdRows <= 5000 else { throw ValidationError("--mmd-rows must be in 2…5000") }
    }

    func run() throws {
        let configuration = DriftDetector.Configuration(
            alpha: alpha, psiThreshold: psiThreshold, labelShiftThreshold: labelShiftThreshold, permutations: permutations, mmdRows: mmdRows,
            seed: seed, outlierZ: outlierZ, outlierFraction: outlierFraction)
        let report = try DriftDetector(configuration: configuration).compare(old: Self.read(old), new: Self.read(new), label: label)
        if output.json {
            try Console.json(report)
        } else {
            Console.output("Drift of '\(report.new)' (\(report.rowsNew) rows) against '\(report.old)' (\(report.rowsOld) rows)")
            for f in report.features {
                Console.output(String(format: "  %@ %@ %-4@ stat %.4f  p %.3g  adjusted %.3g  PSI %.3f%@", f.drifted ? "✘" : "·", f.name.padding(toLength: 16, withPad: " ", startingAt: 0), f.test, f.statistic, f.pValue, f.adjustedPValue, f.psi, f.missingNew > f.missingOld ? String(format: "  missing %.1f%% → %.1f%%", f.missingOld * 100, f.missingNew * 100) : ""))
            }
            if let m = report.mmd { Console.output(String(format: "  MMD² %.5f  p %.3g (%d permutations, %d + %d rows)", m.statistic, m.pValue, m.permutations, m.rowsOld, m.rowsNew)) }
            if let l = report.labelShift { Console.output(String(format: "  label '%@': χ² %.2f  p %.3g  total variation %.3f", l.column, l.chiSquare, l.pValue, l.totalVariation)) }
            Console.output("  outlier rows in NEW: \(report.outlierRows.count)\(report.outlierRows.isEmpty ? "" : " (" + report.outlierRows.prefix(10).map(String.init).joined(separator: ", ") + (report.outlierRows.count > 10 ? ", …)" : ")"))")
            Console.output(report.gateTripped ? "Gate tripped:\n" + report.reasons.map { "  - " + $0 }.joined(separator: "\n") : "No drift past the gate")
        }
        if report.gateTripped { throw CheckFailed() }
    }

    /// A CSV file as text columns (header required, ragged rows are errors naming the line).
    static func read(_ path: String) throws -> DriftTable {
        var parser = CSVRecordParser(source: path)
        var header: [String]?
        var columns: [[String]] = []
        var row = 0
        func take(_ fields: [String], _ line: Int) throws {
            guard let header else {
                header = fields.map { $0.trimmingCharacters() }
                columns = Array(repeating: [], count: fields.count)
                return
            }
            row += 1
            guard fields.count == header.count else {
                throw WardenError.invalidInput("'\(path)' row \(row) (line \(line)) has \(fields.count) fields; the header has \(header.count)")
            }
            for (c, field) in fields.enumerated() { columns[c].append(field.trimmingCharacters()) }
        }
        try FileIO.forEachChunk(of: path) { chunk in try parser.feed(chunk, take) }
        try parser.finish(take)
        guard let header, !header.isEmpty else { throw WardenError.invalidInput("'\(path)' is empty; a CSV table needs a header row") }
        guard Set(header).count == header.count else { throw WardenError.invalidInput("'\(path)' has two columns with the same name") }
        return DriftTable(source: path, header: header, columns: columns)
    }
}
