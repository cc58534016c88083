import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore

/// `warden robustness`: robustness suites over a model.
struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Measure a classifier's adversarial robustness with a suite of attacks.",
        subcommands: [RobustnessReportCommand.self]
    )
}

/// `warden robustness report`: attacks over a range of ε, certification and compared models, as JSON
/// and a self-contained HTML page.
struct RobustnessReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run a suite of attacks over a range of ε (and certification) and write curves as HTML and JSON.",
        discussion: """
            Budget attacks (fgsm, pgd with a random start, square; L∞) run at every --eps (ε = 0 is the \
            clean model); minimum-norm attacks (cw, deepfool, hopskipjump; L2) run once, and their \
            norms give accuracy vs L2 radius at --radii. With --sigma, randomized smoothing adds the \
            certified accuracy at the same radii. Each --compare-model (for example the same network \
            trained with `warden train --adversarial pgd:…`) runs the same suite on the same rows, and \
            the report gives its change in clean and robust accuracy against --model. Inputs are taken \
            as they are in the file and clipped to --clip. Progress goes to stderr.

            JSON (schema warden.robustness-report/1, docs/adversarial.md): data, n, clip, epsilons, \
            radii, models[] {name, clean_accuracy, curves[] {attack, norm, points[] (warden attack's \
            keys per ε)}, minimum_norm[] {report, curve[] {radius, accuracy}}, certification {sigma, \
            samples, alpha, abstain_rate, smoothed_accuracy, curve[], seconds}, seconds}, \
            comparisons[] {model, base, clean_accuracy_change, robust_accuracy_change[] {attack, \
            epsilon, change}}, seconds.

            Example:
              warden robustness report --model digits.onnx --data digits-test.csv --label label --html robustness.html
              warden robustness report --model digits.onnx --data digits-test.csv --label label --attacks fgsm,pgd,deepfool --eps 0,0.05,0.1,0.2 --sigma 0.25 --n 500 --limit 200 --json --html robustness.html
              warden robustness report --model plain.onnx --compare-model pgd-trained.onnx --data digits-test.csv --label label --attacks pgd --html defence.html
            """
    )

    @OptionGroup var input: ModelDataOptions
    @Option(help: "Attacks, comma-separated: fgsm, pgd, square (over --eps); cw, deepfool, hopskipjump (minimum norm).")
    var attacks: String = "fgsm,pgd,square,deepfool"
    @Option(help: "L∞ budgets ε, comma-separated, on the data's scale (0 is the clean model).") var eps: String = "0,0.02,0.05,0.1,0.2"
    @Option(help: "L2 radii of the minimum-norm and certification curves, comma-separated.") var radii: String = "0,0.25,0.5,0.75,1,1.5,2"
    @Option(help: "PGD iterations (step 2.5·ε/steps).") var pgdSteps: Int = 40
    @Option(help: "Square Attack queries per row.") var squareQueries: Int = 1000
    @Option(help: "Randomized smoothing: noise σ (certification runs only when given).") var sigma: Double?
    @Option(help: "Randomized smoothing: estimation samples per row.") var n: Int = 1000
    @Option(help: "Randomized smoothing: selection samples per row.") var n0: Int = 100
    @Option(help: "Randomized smoothing: failure probability per certificate.") var alpha: Double = 0.001
    @Option(help: "Another ONNX model to run the same suite on (e.g. a defended one); repeatable.") var compareModel: [String] = []
    @Option(help: "Write the self-contained HTML report here (atomically).") var html: String?
    @Option(help: "Rows attacked together.") var batch: Int = 256
    @OptionGroup var output: OutputOptions

    static func list<T>(_ text: String, _ option: String, _ parse: (String) -> T?) throws -> [T] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.map { item in
            guard let value = parse(item) else { throw ValidationError("\(option): '\(item)' is not valid") }
            return value
        }
    }

    func suite() throws -> RobustnessSuite {
        let kinds = try Self.list(attacks, "--attacks") { AttackSettings.Kind(rawValue: $0) }
        let budgets = try Self.list(eps, "--eps") { Float($0) }
        let radii = try Self.list(radii, "--radii") { Double($0) }
        var template = AttackSettings(kind: .pgd)
        (template.clipLower, template.clipUpper) = (input.clip.lower, input.clip.upper)
        template.seed = input.seed
        template.steps = pgdSteps
        let smoothing = try sigma.map { try RandomizedSmoothing(sigma: $0, n0: n0, n: n, alpha: alpha, seed: input.seed) }
        return try RobustnessSuite(attacks: kinds, epsilons: budgets, radii: radii, template: template, squareQueries: squareQueries, smoothing: smoothing, batchSize: batch)
    }

    func run() throws {
        let suite = try suite()
        let loaded = try input.load()
        var subjects = [RobustnessSuite.Subject(name: input.model ?? "", model: loaded.model)]
        for path in compareModel {
            let other = try input.load(model: path)
            guard other.labels == loaded.labels else {
                throw ValidationError("'\(path)' names its classes differently from '\(input.model ?? "")', so the labels of '\(input.data)' mean other classes; compare models of the same task")
            }
            subjects.append(.init(name: path, model: other.model))
        }
        let showProgress = !output.quiet
        let bar = ProgressBar(label: "robustness", unit: .items("rows"), enabled: showProgress)
        var lastStage = ""
        let report = try suite.run(subjects, features: loaded.features, labels: loaded.labels, data: "'\(input.data)'") { stage, done, total in
            if stage != lastStage {
                bar.finish()
                if showProgress { Console.error(stage) }
                lastStage = stage
            }
            bar.update(done: Int64(done), total: Int64(total))
        }
        bar.finish()
        if let html { try FileIO.writeAtomically(RobustnessHTML.render(report), to: html) }
        if output.json {
            try Console.json(report)
            return
        }
        Console.output("Robustness of '\(input.model ?? "")' on \(report.n) rows of '\(input.data)' in \(String(format: "%.1f", report.seconds)) s")
        for model in report.models {
            Console.output("  \(model.name): clean accuracy \(String(format: "%.3f", model.cleanAccuracy))")
            for curve in model.curves {
                let points = curve.points.map { String(format: "ε=%g %.3f", $0.epsilon ?? 0, $0.robustAccuracy) }.joined(separator: ", ")
                Console.output("    \(curve.attack.rawValue): \(points)")
            }
            for attack in model.minimumNorm {
                Console.output(String(format: "    %@: success %.3f, median L2 %@", attack.report.attack.rawValue, attack.report.successRate, attack.report.medianL2.map { String(format: "%.4f", $0) } ?? "-"))
            }
            if let c = model.certification {
                Console.output("    certified (σ=\(c.sigma)): " + c.curve.map { String(format: "r=%g %.3f", $0.radius, $0.accuracy) }.joined(separator: ", "))
            }
        }
        for comparison in report.comparisons {
            Console.output(String(format: "  %@ vs %@: clean accuracy %+.3f", comparison.model, comparison.base, comparison.cleanAccuracyChange))
        }
        if let html { Console.output("  wrote \(html)") }
    }
}
