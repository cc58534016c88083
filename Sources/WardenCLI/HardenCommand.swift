import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenGuard
import WardenTensor

/// `warden harden`: what each output-hardening setting costs benign users on a labelled test set.
struct HardenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harden",
        abstract: "Report the accuracy cost of output-hardening settings (top-k, rounding, label only, noise) on a test set.",
        discussion: """
            For each setting (the specs `warden serve --harden NAME=SPEC` takes), the model's \
            probabilities on every row are hardened as the gateway would, and the report gives \
            top-1 accuracy, agreement with the unhardened top-1, log loss (what a client training \
            on the answers sees), and the mean L1 change of the probability vector. Without \
            --setting: none, top-k=1, top-k=3, round=1, round=2, label, noise=0.05, noise=0.2. \
            Noise is seeded (--seed).

            Example:
              warden harden --model digits.onnx --data digits-test.csv --label label
              warden harden --model digits.onnx --data digits-test.csv --label label --setting top-k=3,round=2 --setting label --json
            """
    )

    @OptionGroup var options: ModelDataOptions
    @Option(name: .customLong("setting"), help: "A hardening spec to measure (repeatable).") var settings: [String] = []
    @Flag(help: "Print the report as JSON on stdout.") var json = false

    static let defaults = ["none", "top-k=1", "top-k=3", "round=1", "round=2", "label", "noise=0.05", "noise=0.2"]

    func run() throws {
        let specs = try (settings.isEmpty ? Self.defaults : settings).map { spec in
            do { return try OutputHardening(spec: spec) } catch let error as WardenError { throw ValidationError(error.message) }
        }
        let loaded = try options.load()
        let rows = loaded.labels.count
        let scores = try loaded.model.scores(loaded.features, rows: rows)
        let classes = loaded.model.classCount
        var reports: [JSONValue] = []
        var lines: [String] = []
        for spec in specs {
            var random = SeededRandomGenerator(seed: options.seed)
            var correct = 0, agree = 0
            var logLoss = 0.0, change = 0.0
            for row in 0..<rows {
                let raw = Array(scores[(row * classes)..<((row + 1) * classes)])
                let original = ExtractionDetector.probabilities(raw)
                let served = spec.isActive ? spec.apply(raw, using: &random).map(Double.init) : original
                let top = served.indices.max { served[$0] < served[$1] } ?? 0
                let before = original.indices.max { original[$0] < original[$1] } ?? 0
                if top == loaded.labels[row] { correct += 1 }
                if top == before { agree += 1 }
                logLoss -= log(max(1e-12, served[loaded.labels[row]]))
                change += zip(served, original).reduce(0) { $0 + abs($1.0 - $1.1) }
            }
            let n = Double(max(1, rows))
            let accuracy = Double(correct) / n, agreement = Double(agree) / n
            reports.append(
                .object([
                    ("setting", .string(spec.description)), ("accuracy", .double(accuracy)), ("top1_agreement", .double(agreement)),
                    ("log_loss", .double(logLoss / n)), ("mean_l1_change", .double(change / n)),
                ]))
            lines.append(
                spec.description.padding(toLength: max(22, spec.description.count), withPad: " ", startingAt: 0)
                    + String(format: " accuracy %.4f  top-1 agreement %.4f  log loss %7.4f  mean L1 change %.4f", accuracy, agreement, logLoss / n, change / n))
        }
        if json {
            Console.json(.object([("model", .string(options.model ?? "")), ("rows", .int(Int64(rows))), ("settings", .array(reports))]))
        } else {
            Console.output("\(rows) rows of '\(options.data)'")
            for line in lines { Console.output(line) }
        }
    }
}
