import Foundation
import WardenCore
import WardenTensor

/// A classifier an attack can query: rows of `width` values in, one score per class out. Scores are
/// logits (or log-probabilities); the predicted class is their arg-max. Black-box attacks use only
/// this; every call counts as one query per row.
public protocol QueryableClassifier: Sendable {
    /// Values per row.
    var width: Int { get }
    /// Classes (scores per row).
    var classCount: Int { get }
    /// One example's shape (`[width]` or `[C, H, W]`), for attacks that work on image patches.
    var exampleShape: [Int] { get }
    /// Scores of `rows` rows laid out one after the other: `rows × classCount` values.
    func scores(_ x: [Float], rows: Int) throws -> [Float]
}

/// A classifier whose scores can be differentiated with respect to its input, for white-box attacks.
public protocol DifferentiableClassifier: QueryableClassifier {
    /// The scores of `rows` rows and, for each seed `seeds(scores)` returns, the gradient of
    /// `sum(seed ⊙ scores)` with respect to the input (one forward pass, one backward pass per seed).
    func scoresAndGradients(_ x: [Float], rows: Int, seeds: ([Float]) throws -> [[Float]]) throws -> (scores: [Float], gradients: [[Float]])
}

extension QueryableClassifier {
    /// The arg-max class of each row.
    public func predictions(_ x: [Float], rows: Int) throws -> [Int] {
        ClassScores.argmax(try scores(x, rows: rows), classes: classCount)
    }
}

/// Helpers on flat `rows × classes` score arrays.
package enum ClassScores {
    package static func argmax(_ scores: [Float], classes: Int) -> [Int] {
        stride(from: 0, to: scores.count, by: classes).map { start in
            var best = start
            for i in start..<(start + classes) where scores[i] > scores[best] { best = i }
            return best - start
        }
    }

    /// The gradient of the summed softmax cross-entropy with respect to the scores (softmax minus
    /// one-hot, per row), and the per-row losses.
    package static func crossEntropySeed(_ scores: [Float], labels: [Int], classes: Int) -> (seed: [Float], losses: [Float]) {
        var seed = [Float](repeating: 0, count: scores.count)
        var losses = [Float](repeating: 0, count: labels.count)
        for (row, label) in labels.enumerated() {
            let base = row * classes
            var top = -Float.infinity
            for k in 0..<classes { top = max(top, scores[base + k]) }
            var total: Float = 0
            for k in 0..<classes {
                let e = Foundation.exp(scores[base + k] - top)
                seed[base + k] = e
                total += e
            }
            for k in 0..<classes { seed[base + k] /= total }
            losses[row] = -(scores[base + label] - top - Foundation.log(total))
            seed[base + label] -= 1
        }
        return (seed, losses)
    }

    /// Carlini–Wagner margin per row: score of the label minus the best other score.
    package static func margins(_ scores: [Float], labels: [Int], classes: Int) -> [(margin: Float, runnerUp: Int)] {
        labels.enumerated().map { row, label in
            let base = row * classes
            var best = -Float.infinity, runnerUp = label == 0 ? 1 : 0
            for k in 0..<classes where k != label && scores[base + k] > best {
                best = scores[base + k]
                runnerUp = k
            }
            return (scores[base + label] - best, runnerUp)
        }
    }
}

