import WardenCore
import WardenModels

/// Iterative trimmed loss (after Shen & Sanghavi 2019, applied per mini-batch): at every gradient
/// step the examples with the highest losses under the current model are left out of the update, on
/// the premise that mislabelled (poisoned) examples are the ones the model finds hardest to fit.
///
/// Schedule: in epoch `e` of `E` the step drops `round(r · n)` of its `n` examples (always keeping at
/// least one), with `r = F · min(1, e / W)` and `W = min(5, E)`: a linear warm-up over the first
/// epochs, while the model is still too weak for its losses to single out poison, then `F` for
/// the rest of training. Ties go to the earlier example, so the choice is deterministic.
public struct TrimmedLoss: TrainingDefence {
    /// `F`, the fraction of each batch to drop once warmed up.
    public let fraction: Double

    /// - Throws: `.invalidInput` unless `0 < fraction < 1`.
    public init(fraction: Double) throws {
        guard fraction.isFinite, fraction > 0, fraction < 1 else {
            throw WardenError.invalidInput("The trimmed fraction must be in (0, 1) (e.g. trimmed:0.1), got \(fraction)")
        }
        self.fraction = fraction
    }

    /// Parses `trimmed:F`.
    /// - Throws: `.invalidInput` naming the expected form.
    public init(parsing text: String) throws {
        guard text.hasPrefix("trimmed:"), let value = Double(text.dropFirst("trimmed:".count)) else {
            throw WardenError.invalidInput("--robust takes trimmed:F with F the fraction of highest-loss examples to drop (e.g. trimmed:0.1), got '\(text)'")
        }
        try self.init(fraction: value)
    }

    public var description: String { "trimmed:\(fraction)" }

    /// The fraction dropped in `epoch` (1-based) of `epochs`.
    public func rate(epoch: Int, epochs: Int) -> Double {
        let warmUp = Swift.max(1, Swift.min(5, epochs))
        return fraction * Swift.min(1, Double(epoch) / Double(warmUp))
    }

    public func weights(forLosses losses: [Float], batch: TrainingBatch) -> [Float]? {
        let n = losses.count
        let dropped = Swift.min(n - 1, Int((rate(epoch: batch.epoch, epochs: batch.epochs) * Double(n)).rounded()))
        guard dropped > 0 else { return nil }
        let order = losses.indices.sorted { losses[$0] != losses[$1] ? losses[$0] > losses[$1] : $0 < $1 }
        var weights = [Float](repeating: 1, count: n)
        for i in order.prefix(dropped) { weights[i] = 0 }
        return weights
    }
}
