import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

/// `warden train`'s defences against poisoned data (issue 7) and adversarial examples (issue 9).
struct TrainDefenceOptions: ParsableArgumentsSendable {
    @Option(help: "Robust loss: trimmed:F drops the F highest-loss share of every batch (after a warm-up).") var robust: String?
    @Option(help: "Leave out the 0-based data rows listed in this file (as `warden data scan --flagged-out` writes).") var dropFlagged: String?
    @Option(help: "PGD adversarial training: pgd:eps=E[,steps=N][,ratio=R][,norm=inf|2].") var adversarial: String?
    @Option(help: "The valid input range LO,HI for --adversarial (write --clip=-1,1 when LO is negative).") var clip: ClipRange = ClipRange(lower: 0, upper: 1)
    @Option(help: "Defensive distillation at temperature T: a teacher, then the student on its soft labels.") var distill: String?
    @Option(help: "Gaussian noise augmentation with standard deviation SIGMA.") var noise: String?
    @Flag(help: "Also train the undefended model with the same settings and report its accuracy (with --test).") var baseline = false

    init() {}

    var any: Bool { robust != nil || dropFlagged != nil || adversarial != nil || distill != nil || noise != nil }

    /// The parsed per-batch defences, in the order they apply: adversarial examples, noise, trimming.
    /// - Throws: `.invalidInput` with a one-line message for a malformed value.
    func defences() throws -> [any TrainingDefence] {
        var defences: [any TrainingDefence] = []
        if let adversarial { defences.append(try AdversarialTraining(parsing: adversarial, clipLower: clip.lower, clipUpper: clip.upper)) }
        if let noise { defences.append(try GaussianNoiseAugmentation(parsing: noise)) }
        if let robust { defences.append(try TrimmedLoss(parsing: robust)) }
        return defences
    }

    func distillation() throws -> DefensiveDistillation? { try distill.map { try DefensiveDistillation(parsing: $0) } }

    /// `data` without the rows of `--drop-flagged` (and how many were dropped).
    func dropFlaggedRows(from data: LabeledDataset) throws -> (data: LabeledDataset, dropped: Int) {
        guard let dropFlagged else { return (data, 0) }
        let rows = try FlaggedRows.read(dropFlagged, rowCount: data.count)
        return (try FlaggedRows.dropping(rows, from: data), rows.count)
    }
}
