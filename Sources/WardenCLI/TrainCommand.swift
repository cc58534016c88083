import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenModels
import WardenTensor

/// `warden train`: the native trainer, from a CSV table to an ONNX model.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier on a CSV table and write it as ONNX.",
        discussion: """
            Every column except --label is a feature (numbers; NaN, infinity, ragged rows and a missing \
            label column are errors naming the row). Labels may be integers (class = the number's rank \
            in sorted order, so digits stay digits) or strings. Softmax cross-entropy, Adam by default; \
            the seed fixes initialisation, shuffling and dropout, so a rerun writes the same model bit \
            for bit on the same machine. Progress (loss and training accuracy per epoch) goes to stderr.

            --model grammar (a final dense layer with one output per class is always added):
              mlp:H1,H2,…            dense layers of H units with ReLU (mlp: alone: softmax regression)
              cnn:CxHxW:L1,L2,…      features read as C×H×W images, then layers:
                conv<F>k<K>[s<S>][p<P>]  F filters K×K, stride S (1), padding P (K/2), ReLU
                pool<K> | avgpool<K>     K×K max / average pooling, stride K
                gap                      global average pooling
                dense<N>                 N units with ReLU (the image is flattened first)
              bn (after a conv or dense: batch normalisation before its ReLU), dropout<P> (0 ≤ P < 1)

            The ONNX file (opset 13) records the classes, feature columns and settings in its metadata, \
            so `warden predict` and `warden eval` read columns by name and report class names.

            Defences (they combine; the model's metadata records them):
              --robust trimmed:F       every batch leaves out its F highest-loss share (0 < F < 1); F ramps \
            up linearly over the first min(5, epochs) epochs, then stays
              --drop-flagged FILE      leave out the 0-based data rows in FILE, one per line (`warden data \
            scan --flagged-out`); out-of-range, repeated or non-numeric lines are errors naming the line
              --adversarial pgd:eps=E[,steps=N][,ratio=R][,norm=inf|2]   replace the share R (0.5) of every \
            batch by PGD examples (N = 10 steps, random start) against the current model, clipped to --clip
              --distill T              defensive distillation: a teacher at temperature T, then the student \
            on its soft labels at T; the written model is the student, predicting at T = 1
              --noise SIGMA            add N(0, SIGMA²) noise to every training input (seeded)
              --baseline               also train without defences and report both test accuracies

            Example:
              warden train --data digits-train.csv --label label --model mlp:128,64 --epochs 30 --out digits.onnx
              warden train --data digits-train.csv --label label --model cnn:1x8x8:conv16k3,bn,pool2,dense64 --out cnn.onnx --test digits-test.csv
              warden train --data poisoned.csv --label label --model mlp:64 --robust trimmed:0.2 --test clean-test.csv --baseline
              warden data scan poisoned.csv --label label --flagged-out flagged.txt; warden train --data poisoned.csv --label label --model mlp:64 --drop-flagged flagged.txt --out m.onnx
              warden train --data digits-train.csv --label label --model mlp:64 --adversarial pgd:eps=0.1,steps=10 --out robust.onnx
            """
    )

    @Option(help: "Training data: a CSV file with a header.") var data: String
    @Option(help: "The label column.") var label: String
    @Option(help: "The architecture: mlp:128,64 or cnn:1x8x8:conv16k3,pool2,dense64 (see above).") var model: String
    @Option(help: "Passes over the data.") var epochs: Int = 20
    @Option(name: .customLong("lr"), help: "Learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Examples per gradient step.") var batch: Int = 32
    @Option(help: "Seed for initialisation, shuffling and dropout.") var seed: UInt64 = 0
    @Option(help: "adam or sgd (with --momentum).") var optimizer: Trainer.Configuration.OptimizerKind = .adam
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "A held-out CSV file to report accuracy on after training.") var test: String?
    @Option(help: "Where to write the ONNX model (atomically).") var out: String
    @OptionGroup(title: "Defences") var defence: TrainDefenceOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let spec = try ModelSpec(parsing: model)
        let defences = try defence.defences(), distillation = try defence.distillation()
        if defence.baseline, test == nil { throw WardenError.invalidInput("--baseline compares accuracy on held-out data; add --test FILE") }
        let (dataset, dropped) = try defence.dropFlaggedRows(from: try LabeledDataset(csv: data, label: label))
        for case let adversarial as AdversarialTraining in defences { try adversarial.checkRange(of: dataset) }
        let testData = try test.map { try LabeledDataset(csv: $0, label: label, classes: dataset.classes, features: dataset.featureNames) }
        let configuration = Trainer.Configuration(
            epochs: epochs, learningRate: learningRate, batchSize: batch, seed: seed, optimizer: optimizer, momentum: momentum, defences: defences)
        let display = TrainingDisplay(enabled: !output.quiet && !output.json)
        let started = Date()
        let trainer: Trainer
        var teacherAccuracy: Double?
        if let distillation {
            let trained = try distillation.train(spec: spec, on: dataset, configuration: configuration) { display.show($1) }
            trainer = trained.student
            teacherAccuracy = try testData.map { try trained.teacher.accuracy(on: $0) }
        } else {
            trainer = try Trainer(
                spec: spec, features: dataset.features.shape[1], classes: dataset.classes, featureNames: dataset.featureNames,
                configuration: configuration)
            try trainer.train(on: dataset) { display.show($0) }
        }
        let history = trainer.history
        let seconds = Date().timeIntervalSince(started)
        let testAccuracy = try testData.map { try trainer.accuracy(on: $0) }
        let baselineAccuracy = try defence.baseline ? baseline(spec: spec, configuration: configuration, testData: testData!, display: display) : nil
        let applied = trainer.configuration.defences.map(\.description) + (defence.dropFlagged == nil ? [] : ["drop-flagged:\(dropped)"])
        try FileIO.writeAtomically(try trainer.exportONNX(label: label, producerVersion: Warden.version), to: out)
        let digest = try Digest.sha256(ofFile: out)
        let last = history.last!
        if output.json {
            var fields: [(String, JSONValue)] = [
                ("model", .string(spec.description)), ("out", .string(out)), ("digest", .string(digest.description)),
                ("rows", .int(Int64(dataset.count))), ("features", .int(Int64(dataset.features.shape[1]))),
                ("classes", .array(dataset.classes.names.map { .string($0) })), ("parameters", .int(Int64(trainer.model.parameterCount))),
                ("seconds", .double(seconds)), ("loss", .double(last.loss)), ("train_accuracy", .double(last.accuracy)),
                ("epochs", .array(history.map {
                    .object([("epoch", .int(Int64($0.epoch))), ("loss", .double($0.loss)), ("accuracy", .double($0.accuracy)), ("seconds", .double($0.seconds))])
                })),
            ]
            if let testAccuracy { fields.append(("test_accuracy", .double(testAccuracy))) }
            if defence.any { fields += [("defences", .array(applied.map { .string($0) })), ("dropped_rows", .int(Int64(dropped)))] }
            if let teacherAccuracy { fields.append(("teacher_test_accuracy", .double(teacherAccuracy))) }
            if let baselineAccuracy { fields.append(("baseline_test_accuracy", .double(baselineAccuracy))) }
            Console.json(.object(fields))
        } else {
            Console.output("Trained \(spec) on \(dataset.count) rows (\(dataset.features.shape[1]) features, \(dataset.classes.count) classes, \(trainer.model.parameterCount) parameters): \(epochs) epochs in \(String(format: "%.2f", seconds)) s")
            Console.output(String(format: "  final loss %.4f, training accuracy %.2f%%", last.loss, last.accuracy * 100))
            if defence.any { Console.output("  defences: \(applied.joined(separator: ", "))") }
            if let testAccuracy, let test { Console.output(String(format: "  test accuracy %.2f%% on '%@'", testAccuracy * 100, test)) }
            if let teacherAccuracy { Console.output(String(format: "  distillation teacher's test accuracy %.2f%%", teacherAccuracy * 100)) }
            if let baselineAccuracy { Console.output(String(format: "  undefended baseline's test accuracy %.2f%% (same settings, all rows)", baselineAccuracy * 100)) }
            Console.output("  wrote \(out) (\(digest))")
        }
    }

    /// The test accuracy of the same training without defences, on all rows of --data.
    func baseline(spec: ModelSpec, configuration: Trainer.Configuration, testData: LabeledDataset, display: TrainingDisplay) throws -> Double {
        let all = try LabeledDataset(csv: data, label: label, classes: testData.classes, features: testData.featureNames)
        var plain = configuration
        plain.defences = []
        let trainer = try Trainer(spec: spec, features: all.features.shape[1], classes: all.classes, featureNames: all.featureNames, configuration: plain)
        try trainer.train(on: all) { display.show($0) }
        return try trainer.accuracy(on: testData)
    }
}

extension Trainer.Configuration.OptimizerKind: ExpressibleByArgument {}

/// Training progress on stderr: a bar for the batches of the current epoch (terminals only) and one
/// line per finished epoch.
final class TrainingDisplay {
    let enabled: Bool
    let terminal = Console.stderrIsTerminal
    var lastDraw: UInt64 = 0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: Trainer.Progress) {
        guard enabled else { return }
        let head = String(format: "epoch %*d/%d", String(progress.epochs).count, progress.epoch, progress.epochs)
        let stats = String(format: "loss %.4f  accuracy %6.2f%%", progress.loss, progress.accuracy * 100)
        if progress.epochFinished {
            let clear = terminal ? "\r\u{1B}[2K" : ""
            FileHandle.standardError.write(Data((clear + head + "  " + stats + String(format: "  %.2f s\n", progress.seconds)).utf8))
            return
        }
        let now = DispatchTime.now().uptimeNanoseconds
        guard terminal, now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let width = 24
        let filled = progress.batch * width / Swift.max(progress.batches, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(head) \(bar) \(progress.batch)/\(progress.batches)  \(stats)".utf8))
    }
}
