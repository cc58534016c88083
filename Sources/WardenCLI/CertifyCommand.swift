import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore

/// `warden certify`: randomized-smoothing certificates for an ONNX classifier on a labelled table.
struct CertifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Certify an ONNX classifier's L2 robustness by randomized smoothing (Cohen et al. 2019).",
        discussion: """
            For each row, --n0 noisy copies (Gaussian, σ = --sigma) select the smoothed class and --n \
            fresh copies bound its probability from below (Clopper–Pearson, failure probability \
            --alpha). The row is certified within the L2 radius σ·Φ⁻¹(p_A) when p_A > ½, else the \
            smoothed classifier abstains. Certified accuracy at r is the share of rows predicted right \
            with a radius of at least r (abstentions count as wrong).

            JSON: {"certified_accuracy": {"0.25": …, "0.5": …}, "abstain_rate": …, "n": …} plus \
            smoothed_accuracy, sigma, samples, alpha, seconds and each row's certificate.

            Example:
              warden certify --model digits.onnx --data digits-test.csv --label label --sigma 0.25 --n 1000 --alpha 0.001
              warden certify --model digits.onnx --data digits-test.csv --label label --sigma 0.5 --radii 0.25,0.5,1 --limit 100 --json
            """
    )

    @OptionGroup var input: ModelDataOptions
    @Option(help: "Standard deviation of the noise.") var sigma: Double = 0.25
    @Option(help: "Selection samples per row.") var n0: Int = 100
    @Option(help: "Estimation samples per row.") var n: Int = 1000
    @Option(help: "Failure probability of each certificate.") var alpha: Double = 0.001
    @Option(help: "Radii to report certified accuracy at, comma-separated.") var radii: String = "0.25,0.5"
    @Option(help: "Noisy copies per model call.") var batch: Int = 1000
    @OptionGroup var output: OutputOptions

    func run() throws {
        let smoothing = try RandomizedSmoothing(sigma: sigma, n0: n0, n: n, alpha: alpha, batchSize: batch, seed: input.seed)
        let radii = radii.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !radii.isEmpty else { throw ValidationError("--radii needs at least one radius, e.g. 0.25,0.5") }
        let loaded = try input.load()
        let bar = ProgressBar(label: "certify", unit: .items("rows"), enabled: !output.quiet && !output.json)
        let report = try CertificationReport.certify(
            smoothing, model: loaded.model, features: loaded.features, labels: loaded.labels, radii: radii, source: "'\(input.data)'"
        ) { bar.update(done: Int64($0), total: Int64(loaded.labels.count)) }
        bar.finish()
        if output.json {
            try Console.json(report)
            return
        }
        Console.output(String(format: "Randomized smoothing σ=%g, n0=%d, n=%d, α=%g on %d rows of '%@' in %.2f s", sigma, n0, n, alpha, report.n, input.data, report.seconds))
        Console.output(String(format: "  smoothed accuracy %.2f%%, abstained on %.2f%%", report.smoothedAccuracy * 100, report.abstainRate * 100))
        for radius in radii {
            Console.output(String(format: "  certified accuracy at r=%@: %.2f%%", radius, (report.certifiedAccuracy[radius] ?? 0) * 100))
        }
    }
}
