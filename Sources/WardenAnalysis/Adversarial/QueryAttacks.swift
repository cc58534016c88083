import Foundation
import WardenCore
import WardenTensor

/// Black-box attacks that only query the model's scores or decisions: HopSkipJump (decision-based,
/// L2) and Square (score-based, L∞). Every row of every model call counts as one query.
package enum QueryAttacks {
    /// HopSkipJump (Chen, Jordan, Wainwright 2020), untargeted L2: start from uniform noise the model
    /// misclassifies, then alternate a binary search to the decision boundary, a Monte-Carlo estimate of
    /// the boundary's normal and a geometric step along it. Rows the model already gets wrong are left.
    package static func hopSkipJump(
        _ model: some QueryableClassifier, x: [Float], labels: [Int], settings: AttackSettings, generator: inout SeededRandomGenerator
    ) throws -> AttackBatch {
        let width = model.width, rows = labels.count
        let lo = settings.clipLower, hi = settings.clipUpper
        var adversarial = x
        var queries = [Int](repeating: 0, count: rows)
        let clean = try model.predictions(x, rows: rows)
        let d = Float(width)
        let theta = 1 / (d * d.squareRoot())
        for row in 0..<rows where clean[row] == labels[row] {
            let origin = Array(x[(row * width)..<((row + 1) * width)])
            let label = labels[row]
            var used = 0
            func isAdversarial(_ points: [Float], count: Int) throws -> [Bool] {
                used += count
                return try model.predictions(points, rows: count).map { $0 != label }
            }
            // Initialisation: uniform noise until one point is misclassified (100 tries), then a
            // binary search towards the input.
            var start: [Float]?
            for _ in 0..<100 {
                let candidate = (0..<width).map { _ in lo + (hi - lo) * PerturbationMath.uniform(&generator) }
                if try isAdversarial(candidate, count: 1)[0] { start = candidate; break }
            }
            guard var current = start else { queries[row] = used; continue }
            func boundary(_ outside: [Float]) throws -> [Float] {
                var low: Float = 0, high: Float = 1
                while high - low > theta {
                    let mid = (low + high) / 2
                    let blend = zip(origin, outside).map { (1 - mid) * $0 + mid * $1 }
                    if try isAdversarial(blend, count: 1)[0] { high = mid } else { low = mid }
                }
                return zip(origin, outside).map { (1 - high) * $0 + high * $1 }
            }
            current = try boundary(current)
            for t in 1...settings.effectiveSteps {
                let distance = PerturbationMath.l2(zip(current, origin).map { $0 - $1 }[...])
                let delta = t == 1 ? 0.1 * (hi - lo) : d.squareRoot() * theta * distance
                let evaluations = min(Int(Float(settings.initialEvaluations) * Float(t).squareRoot()), settings.maximumEvaluations)
                var directions = [Float](repeating: 0, count: evaluations * width)
                var probes = [Float](repeating: 0, count: evaluations * width)
                for e in 0..<evaluations {
                    let u = (0..<width).map { _ in PerturbationMath.normal(&generator) }
                    let length = max(PerturbationMath.l2(u[...]), 1e-12)
                    for j in 0..<width {
                        let probe = min(max(current[j] + delta * u[j] / length, lo), hi)
                        probes[e * width + j] = probe
                        directions[e * width + j] = (probe - current[j]) / delta
                    }
                }
                let signs = try isAdversarial(probes, count: evaluations).map { $0 ? Float(1) : -1 }
                let mean = signs.reduce(0, +) / Float(evaluations)
                let baseline = abs(mean) == 1 ? 0 : mean
                var gradient = [Float](repeating: 0, count: width)
                for e in 0..<evaluations {
                    for j in 0..<width { gradient[j] += (signs[e] - baseline) * directions[e * width + j] }
                }
                let length = PerturbationMath.l2(gradient[...])
                guard length > 0 else { break }
                for j in 0..<width { gradient[j] /= length }
                // Geometric search for a step that stays adversarial.
                var epsilon = distance / Float(t).squareRoot()
                var moved = current
                while epsilon > 1e-6 {
                    moved = (0..<width).map { min(max(current[$0] + epsilon * gradient[$0], lo), hi) }
                    if try isAdversarial(moved, count: 1)[0] { break }
                    epsilon /= 2
                }
                guard epsilon > 1e-6 else { break }
                current = try boundary(moved)
            }
            adversarial.replaceSubrange((row * width)..<((row + 1) * width), with: current)
            queries[row] = used
        }
        return AttackBatch(adversarial: adversarial, queries: queries)
    }

    /// Square Attack (Andriushchenko et al. 2020), L∞: start from vertical stripes of ±ε (kept only
    /// where they lower the margin of the true class), then try random squares of ±ε (per channel) and
    /// keep a change when it lowers the margin, with the published schedule for the square's size.
    /// Rows are done once the model is fooled. As in adversarial-robustness-toolbox and the authors' code,
    /// a square's corner is drawn from `0..<(H − side)` (NumPy's `randint(0, H − side)`, exclusive), so
    /// squares never touch the last row and column: drawing from `0...(H − side)` made the attack fool ≈ 12 points more digits than
    /// ART's at ε = 0.1 (0.59 against 0.47 on 200 rows, 5 seeds), the whole discrepancy. A single row
    /// (not an image, which ART does not attack) draws from every column.
    /// Inputs are seen as `[C, H, W]` images: the model's example shape when it has three dimensions,
    /// else one channel of a square image when the width is a square number, else a single row.
    package static func square(
        _ model: some QueryableClassifier, x: [Float], labels: [Int], settings: AttackSettings, generator: inout SeededRandomGenerator
    ) throws -> AttackBatch {
        let width = model.width, classes = model.classCount, rows = labels.count, eps = settings.epsilon
        let (channels, height, columns) = imageShape(model.exampleShape, width: width)
        let lo = settings.clipLower, hi = settings.clipUpper
        var current = x
        for row in 0..<rows {
            for c in 0..<channels {
                for col in 0..<columns {
                    let sign: Float = generator.next() & 1 == 0 ? -1 : 1
                    for h in 0..<height {
                        let i = row * width + (c * height + h) * columns + col
                        current[i] = min(max(x[i] + sign * eps, lo), hi)
                    }
                }
            }
        }
        let initial = ClassScores.margins(try model.scores(x, rows: rows), labels: labels, classes: classes).map(\.margin)
        var margins = ClassScores.margins(try model.scores(current, rows: rows), labels: labels, classes: classes).map(\.margin)
        for row in 0..<rows where margins[row] >= initial[row] {
            margins[row] = initial[row]
            current.replaceSubrange((row * width)..<((row + 1) * width), with: x[(row * width)..<((row + 1) * width)])
        }
        var queries = [Int](repeating: 2, count: rows)
        let steps = settings.effectiveSteps
        for iteration in 0..<steps {
            let active = (0..<rows).filter { margins[$0] > 0 }
            guard !active.isEmpty else { break }
            let fraction = squareFraction(settings.squareFraction, iteration: iteration, of: steps)
            let side = max(min(Int((fraction * Float(height * columns)).squareRoot().rounded()), min(height, columns) - (min(height, columns) > 1 ? 1 : 0)), 1)
            var batch = [Float](repeating: 0, count: active.count * width)
            for (r, row) in active.enumerated() {
                var candidate = Array(current[(row * width)..<((row + 1) * width)])
                let top = Int(generator.next() % UInt64(max(height - side, 1)))
                let left = Int(generator.next() % UInt64(height > 1 ? max(columns - side, 1) : columns - side + 1))
                for c in 0..<channels {
                    let sign: Float = generator.next() & 1 == 0 ? -1 : 1
                    for h in top..<(top + side) {
                        for w in left..<(left + side) {
                            let j = (c * height + h) * columns + w
                            candidate[j] = min(max(x[row * width + j] + sign * eps, lo), hi)
                        }
                    }
                }
                batch.replaceSubrange((r * width)..<((r + 1) * width), with: candidate)
            }
            let scores = try model.scores(batch, rows: active.count)
            let newMargins = ClassScores.margins(scores, labels: active.map { labels[$0] }, classes: classes).map(\.margin)
            for (r, row) in active.enumerated() {
                queries[row] += 1
                if newMargins[r] < margins[row] {
                    margins[row] = newMargins[r]
                    current.replaceSubrange((row * width)..<((row + 1) * width), with: batch[(r * width)..<((r + 1) * width)])
                }
            }
        }
        return AttackBatch(adversarial: current, queries: queries)
    }

    static func imageShape(_ example: [Int], width: Int) -> (Int, Int, Int) {
        if example.count == 3 { return (example[0], example[1], example[2]) }
        let side = Int(Double(width).squareRoot().rounded())
        if side * side == width { return (1, side, side) }
        return (1, 1, width)
    }

    /// The published schedule, rescaled to `steps` iterations as for 10 000.
    static func squareFraction(_ initial: Float, iteration: Int, of steps: Int) -> Float {
        let i = Int(Double(iteration) / Double(max(steps, 1)) * 10000)
        let divisor: Float = switch i {
        case ...10: 1
        case ...50: 2
        case ...200: 4
        case ...500: 8
        case ...1000: 16
        case ...2000: 32
        case ...4000: 64
        case ...6000: 128
        case ...8000: 256
        default: 512
        }
        return initial / divisor
    }
}
