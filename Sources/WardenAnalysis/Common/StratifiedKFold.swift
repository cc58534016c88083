import WardenCore
import WardenTensor

/// A seeded, stratified K-fold split: the rows of each class are shuffled with the seed and dealt
/// to the folds in turn, so every fold holds about `1/K` of every class and the same labels and
/// seed give the same folds.
public struct StratifiedKFold: Sendable {
    /// The fold of each row, in `0..<folds`.
    public let fold: [Int]
    public let folds: Int

    /// - Throws: `.invalidInput` when `folds` is not in 2…50 or there are fewer rows than folds.
    public init(labels: [Int], folds: Int, seed: UInt64) throws {
        guard folds >= 2, folds <= 50 else { throw WardenError.invalidInput("The number of folds must be in 2…50, got \(folds)") }
        guard labels.count >= folds else {
            throw WardenError.invalidInput("\(labels.count) rows cannot be split into \(folds) folds; use fewer folds or more data")
        }
        var generator = SeededRandomGenerator(seed: seed)
        var byClass: [Int: [Int]] = [:]
        for (row, label) in labels.enumerated() { byClass[label, default: []].append(row) }
        var fold = [Int](repeating: 0, count: labels.count)
        var next = 0
        for label in byClass.keys.sorted() {
            var rows = byClass[label]!
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            for row in rows {
                fold[row] = next % folds
                next += 1
            }
        }
        self.fold = fold
        self.folds = folds
    }

    /// The rows outside and inside fold `k`.
    public func split(_ k: Int) -> (train: [Int], test: [Int]) {
        var train: [Int] = [], test: [Int] = []
        for (row, f) in fold.enumerated() {
            if f == k { test.append(row) } else { train.append(row) }
        }
        return (train, test)
    }
}
