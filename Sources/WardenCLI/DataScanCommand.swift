import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

/// `warden data scan`: training-data poisoning detection on a labelled CSV table.
struct DataScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find poisoned rows in a labelled CSV table: label flips, outliers, conflicting duplicates, backdoors.",
        discussion: """
            Runs every detector in one pass (see docs/poisoning.md): confident learning (per-class \
            thresholds, confident joint, pruning by the estimated noise matrix, as cleanlab's \
            find_label_issues) on out-of-sample probabilities from seeded stratified K-fold \
            cross-validation of --model averaged with the 10 nearest neighbours' label frequencies, \
            then refitted once on the rows it did not flag (--refit-rounds; 0 is a single pass), \
            exact and near duplicates with conflicting labels, outliers (a seeded Isolation Forest \
            and a Mahalanobis distance on normal scores must agree; a robust z-score over 100 is \
            enough alone), and two backdoor detectors on the last hidden layer of \
            a network trained on all rows (--model when it has one, else mlp:64): activation \
            clustering (2-means per class on the top 10 principal components; a small, well \
            separated cluster) and spectral signatures (squared projection on the top singular \
            direction). For image-like data (--image, or a square feature count such as 64 = 1x8x8) \
            the suspected trigger is localised: the pixels that separate the cluster from its \
            class, with a bounding box. Each suspicious row is reported with its reasons and \
            scores; the verdict is 'suspicious' when more than --max-flagged-fraction of the rows \
            are flagged. Features must be numbers (one-hot encode categories first); constant \
            columns are ignored and listed.

            With --model MODEL.onnx the given classifier runs on the raw features through Warden's \
            ONNX runtime: its probabilities feed confident learning as they are (not \
            cross-validated, so a model trained on these very rows finds fewer label issues) and \
            the input of its last Gemm/MatMul layer is the backdoor representation (a linear model \
            falls back to a trained mlp:64).

            --flagged-out writes the 0-based data-row indices (header excluded) of the flagged \
            rows, ascending, one per line, for `warden train --drop-flagged`. --scores-out writes \
            every row's scores as CSV, to check the thresholds on your own clean data.

            Exit codes: 0 clean (or --exit-zero) · 1 suspicious · 2 bad usage or unreadable, \
            ragged, non-numeric or single-class data (the error names the row).

            Example:
              warden data scan data/train.csv --label label
              warden data scan data/train.csv --label label --model mlp:64 --json --flagged-out flagged.txt --html scan.html
              warden data scan digits.csv --label label --image 1x8x8 --html scan.html
              warden data scan data/train.csv --label label --model model.onnx
            """
    )

    @Argument(help: "The CSV table (a header row, numeric features).") var data: String
    @Option(help: "The label column.") var label: String
    @Option(help: "The cross-validated model: logreg, a trainer spec such as mlp:64, or a given MODEL.onnx (not retrained).") var model: String = "logreg"
    @Option(help: "Cross-validation folds.") var folds: Int = 5
    @Option(help: "Seed for the folds, network training and the Isolation Forest.") var seed: UInt64 = 0
    @Option(help: "Epochs per fold for an mlp:/cnn: model.") var epochs: Int = 30
    @Option(help: "Times confident learning is refitted on the rows it did not flag (model, neighbour vote and thresholds; 0: a single pass, as cleanlab).")
    var refitRounds: Int = 1
    @Option(help: "The fraction of flagged rows above which the verdict is 'suspicious'.") var maxFlaggedFraction: Double = 0.01
    @Option(help: "Write the flagged 0-based row indices here, one per line (atomically).") var flaggedOut: String?
    @Option(help: "Write a self-contained HTML report here (atomically).") var html: String?
    @Option(help: "Write every row's detector scores here as CSV (atomically), to calibrate on your own clean data.") var scoresOut: String?
    @Option(help: "The features' image shape CxHxW for trigger localisation (default: inferred from a square feature count).") var image: String?
    @Flag(help: "Skip the backdoor detectors (no representation model is trained).") var noBackdoor = false
    @Flag(help: "Exit 0 even when the verdict is 'suspicious'.") var exitZero = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (0...1).contains(maxFlaggedFraction) else { throw ValidationError("--max-flagged-fraction must be in 0…1, got \(maxFlaggedFraction)") }
        guard (0...5).contains(refitRounds) else { throw ValidationError("--refit-rounds must be in 0…5, got \(refitRounds)") }
    }

    func run() throws {
        var configuration = PoisonScanner.Configuration()
        configuration.model = try ProbabilityModel(parsing: model, epochs: epochs)
        configuration.folds = folds
        configuration.refitRounds = refitRounds
        configuration.seed = seed
        configuration.maxFlaggedFraction = maxFlaggedFraction
        let table = try FeatureTable(LabeledDataset(csv: data, label: label))
        configuration.imageShape = try TriggerLocalization.imageShape(image, features: table.width)
        if noBackdoor { configuration.backdoor = nil }
        let showProgress = !output.quiet && !output.json && Console.stderrIsTerminal
        let (report, scores) = try PoisonScanner(configuration: configuration).scan(table) { progress in
            guard showProgress else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[2Kscan: \(progress.step) \(progress.done)/\(progress.total)".utf8))
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        if let flaggedOut {
            try FileIO.writeAtomically(Array(report.flaggedIndices.map { "\($0)\n" }.joined().utf8), to: flaggedOut)
        }
        if let scoresOut {
            try FileIO.writeAtomically(Array(scores.csv(labels: table.labels, classes: table.classes.names).utf8), to: scoresOut)
        }
        if let html {
            try FileIO.writeAtomically(Array(PoisonScanHTML.render(report, scores: scores, table: table).utf8), to: html)
        }
        if output.json {
            try Console.json(report)
        } else {
            Self.print(report)
        }
        if !report.isClean && !exitZero { throw CheckFailed() }
    }

    static func print(_ report: PoisonScanReport) {
        Console.output("Scanned '\(report.source)': \(report.rows) rows, \(report.features) features, \(report.classes.count) classes; \(report.folds)-fold \(report.model) accuracy \(String(format: "%.3f", report.crossValidatedAccuracy))")
        if !report.constantColumns.isEmpty {
            Console.output("  constant columns ignored: \(report.constantColumns.prefix(10).joined(separator: ", "))\(report.constantColumns.count > 10 ? ", …" : "")")
        }
        for detector in report.detectors {
            Console.output("  \(detector.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(detector.flagged).leftPadded(5))  (\(detector.threshold))\(detector.note.map { "  \($0)" } ?? "")")
        }
        for result in report.backdoor?.classes ?? [] where result.suspicious {
            Console.output(String(format: "  backdoor suspected in class '%@': %d of %d rows in a small cluster (silhouette %.2f, d′ %.1f), %d flagged", result.label, result.smallCluster, result.rows, result.silhouette, result.separation, result.flagged))
            guard let trigger = result.trigger else { continue }
            let features = trigger.topFeatures.prefix(5).map { String(format: "%@ %+.1f", $0.name, $0.difference) }.joined(separator: ", ")
            let box = trigger.box.map { " — box rows \($0.top)…\($0.bottom), columns \($0.left)…\($0.right) of \(trigger.imageShape!.map(String.init).joined(separator: "x"))" } ?? ""
            Console.output("    trigger: \(features)\(box)")
        }
        let shown = report.suspicious.prefix(50)
        if !shown.isEmpty { Console.output("  row     label → suggested  reasons") }
        for row in shown {
            var details = String(format: "p(label)=%.3f knn=%.1f z=%.1f if=%.2f", row.selfConfidence, row.neighbourDisagreement, row.robustZ, row.isolation)
            if let m = row.mahalanobis { details += String(format: " d²=%.0f", m) }
            if let group = row.duplicateGroup { details += " dup-of=\(group)" }
            if let spectral = row.spectral, row.reasons.contains(.backdoor) { details += String(format: " spectral=%.3g", spectral) }
            Console.output("  \(String(row.index).leftPadded(6))  \(row.label.leftPadded(6)) → \(row.suggestedLabel.padding(toLength: 9, withPad: " ", startingAt: 0))  \(row.reasons.map(\.rawValue).joined(separator: ","))  \(details)")
        }
        if report.suspicious.count > shown.count { Console.output("  … \(report.suspicious.count - shown.count) more (--json or --flagged-out for all)") }
        Console.output(String(format: "Verdict: %@ — %d of %d rows flagged (%.2f%%; limit %.2f%%)", report.verdict, report.suspicious.count, report.rows, report.flaggedFraction * 100, report.maxFlaggedFraction * 100))
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
