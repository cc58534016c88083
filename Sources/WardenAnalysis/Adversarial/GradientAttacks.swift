import Foundation
import WardenCore
import WardenTensor

/// The outcome of attacking one batch: the adversarial rows and the model queries each row cost
/// (white-box attacks count none).
public struct AttackBatch: Sendable {
    public var adversarial: [Float]
    public var queries: [Int]
}

/// White-box attacks driven by input gradients: FGSM, PGD (L∞ and L2, random start, restarts),
/// Carlini–Wagner L2 and DeepFool.
package enum GradientAttacks {
    /// FGSM (one step of size ε) and PGD (Madry et al. 2018): ascend the cross-entropy, project onto the
    /// ε-ball and the clip range after every step. With several restarts a row keeps the first run
    /// that changes its prediction, else the last run.
    package static func projectedGradient(
        _ model: some DifferentiableClassifier, x: [Float], labels: [Int], settings: AttackSettings, generator: inout SeededRandomGenerator
    ) throws -> [Float] {
        let width = model.width, classes = model.classCount, rows = labels.count
        let steps = settings.kind == .fgsm ? 1 : settings.effectiveSteps
        let restarts = settings.kind == .fgsm ? 1 : settings.restarts
        var best = x
        var fooled = [Bool](repeating: false, count: rows)
        for restart in 0..<restarts {
            var current = settings.randomStart && settings.kind == .pgd
                ? PerturbationMath.randomStart(around: x, epsilon: settings.epsilon, norm: settings.norm, width: width, generator: &generator) : x
            PerturbationMath.clip(&current, settings.clipLower, settings.clipUpper)
            for _ in 0..<steps {
                let gradient = try model.scoresAndGradients(current, rows: rows) { scores in
                    [ClassScores.crossEntropySeed(scores, labels: labels, classes: classes).seed]
                }.gradients[0]
                try checkFinite(gradient, model: model)
                PerturbationMath.step(&current, along: gradient, size: settings.effectiveStepSize, norm: settings.norm, width: width)
                PerturbationMath.project(&current, onto: x, epsilon: settings.epsilon, norm: settings.norm, width: width)
                PerturbationMath.clip(&current, settings.clipLower, settings.clipUpper)
            }
            if restarts == 1 { return current }
            let predicted = try model.predictions(current, rows: rows)
            for row in 0..<rows where !fooled[row] {
                if predicted[row] != labels[row] || restart == restarts - 1 || restart == 0 {
                    best.replaceSubrange((row * width)..<((row + 1) * width), with: current[(row * width)..<((row + 1) * width)])
                }
                fooled[row] = predicted[row] != labels[row]
            }
        }
        return best
    }

    /// Carlini–Wagner L2 (2017): minimise ‖δ‖² + c·max(Z_y − max_{k≠y} Z_k + κ, 0) over w with
    /// x' = lo + (hi − lo)(tanh w + 1)/2 by Adam, with a per-row binary search over c. A row keeps its
    /// smallest successful example, else its input.
    package static func carliniWagner(_ model: some DifferentiableClassifier, x: [Float], labels: [Int], settings: AttackSettings) throws -> [Float] {
        let width = model.width, classes = model.classCount, rows = labels.count
        let lo = settings.clipLower, span = settings.clipUpper - settings.clipLower
        let w0 = x.map { value -> Float in
            let unit = min(max((value - lo) / span * 2 - 1, -1), 1) * 0.999999
            return atanh(unit)
        }
        var constant = [Float](repeating: settings.initialConstant, count: rows)
        var lower = [Float](repeating: 0, count: rows), upper = [Float](repeating: 1e10, count: rows)
        var bestDistance = [Float](repeating: .infinity, count: rows)
        var best = x
        let beta1: Float = 0.9, beta2: Float = 0.999
        for _ in 0..<settings.binarySearchSteps {
            var w = w0
            var m = [Float](repeating: 0, count: x.count), v = m
            var succeeded = [Bool](repeating: false, count: rows)
            for iteration in 1...settings.effectiveSteps {
                let tanhW = w.map { tanh($0) }
                let current = tanhW.map { lo + span * ($0 + 1) / 2 }
                var margins: [(margin: Float, runnerUp: Int)] = []
                let gradient = try model.scoresAndGradients(current, rows: rows) { scores in
                    margins = ClassScores.margins(scores, labels: labels, classes: classes)
                    var seed = [Float](repeating: 0, count: scores.count)
                    for row in 0..<rows where margins[row].margin + settings.confidence > 0 {
                        seed[row * classes + labels[row]] = constant[row]
                        seed[row * classes + margins[row].runnerUp] = -constant[row]
                    }
                    return [seed]
                }.gradients[0]
                try checkFinite(gradient, model: model)
                let distances = PerturbationMath.distances(current, x, width: width)
                for row in 0..<rows where margins[row].margin + settings.confidence <= 0 && margins[row].margin < 0 {
                    succeeded[row] = true
                    if distances[row].l2 < bestDistance[row] {
                        bestDistance[row] = distances[row].l2
                        best.replaceSubrange((row * width)..<((row + 1) * width), with: current[(row * width)..<((row + 1) * width)])
                    }
                }
                let correction1 = 1 - pow(beta1, Float(iteration)), correction2 = 1 - pow(beta2, Float(iteration))
                for i in w.indices {
                    let dx = 2 * (current[i] - x[i]) + gradient[i]
                    let g = dx * span / 2 * (1 - tanhW[i] * tanhW[i])
                    m[i] = beta1 * m[i] + (1 - beta1) * g
                    v[i] = beta2 * v[i] + (1 - beta2) * g * g
                    w[i] -= settings.learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + 1e-8)
                }
            }
            for row in 0..<rows {
                if succeeded[row] {
                    upper[row] = min(upper[row], constant[row])
                    constant[row] = (lower[row] + upper[row]) / 2
                } else {
                    lower[row] = max(lower[row], constant[row])
                    constant[row] = upper[row] < 1e9 ? (lower[row] + upper[row]) / 2 : constant[row] * 10
                }
            }
        }
        return best
    }

    /// DeepFool (Moosavi-Dezfooli et al. 2016): step to the nearest linearised class boundary until the
    /// prediction changes, then overshoot the total perturbation by `1 + overshoot`.
    package static func deepFool(_ model: some DifferentiableClassifier, x: [Float], settings: AttackSettings) throws -> [Float] {
        let width = model.width, classes = model.classCount, rows = x.count / width
        let original = try model.predictions(x, rows: rows)
        var current = x
        var active = Array(0..<rows)
        for _ in 0..<settings.effectiveSteps where !active.isEmpty {
            var batch = [Float](); batch.reserveCapacity(active.count * width)
            for row in active { batch.append(contentsOf: current[(row * width)..<((row + 1) * width)]) }
            let seeds = (0..<classes).map { k in
                var seed = [Float](repeating: 0, count: active.count * classes)
                for r in 0..<active.count { seed[r * classes + k] = 1 }
                return seed
            }
            let (scores, gradients) = try model.scoresAndGradients(batch, rows: active.count) { _ in seeds }
            try gradients.forEach { try checkFinite($0, model: model) }
            var stillActive: [Int] = []
            for (r, row) in active.enumerated() {
                let base = r * classes, k0 = original[row]
                guard ClassScores.argmax(Array(scores[base..<(base + classes)]), classes: classes)[0] == k0 else { continue }
                var bestRatio = Float.infinity, bestStep: [Float] = []
                for k in 0..<classes where k != k0 {
                    var w = [Float](repeating: 0, count: width)
                    for j in 0..<width { w[j] = gradients[k][r * width + j] - gradients[k0][r * width + j] }
                    let f = scores[base + k] - scores[base + k0]
                    let length = PerturbationMath.l2(w[...])
                    let ratio = abs(f) / (length + 1e-8)
                    if ratio < bestRatio {
                        bestRatio = ratio
                        let scale = (abs(f) + 1e-4) / (length * length + 1e-8)
                        bestStep = w.map { $0 * scale }
                    }
                }
                for j in 0..<width { current[row * width + j] += bestStep[j] }
                for j in (row * width)..<((row + 1) * width) { current[j] = min(max(current[j], settings.clipLower), settings.clipUpper) }
                stillActive.append(row)
            }
            active = stillActive
        }
        var result = x
        for i in result.indices { result[i] = min(max(x[i] + (1 + settings.overshoot) * (current[i] - x[i]), settings.clipLower), settings.clipUpper) }
        return result
    }

    static func checkFinite(_ gradient: [Float], model: some QueryableClassifier) throws {
        guard gradient.allSatisfy(\.isFinite) else {
            throw WardenError.invalidInput("The model's input gradient is NaN or infinite; check the data for NaN and the model for overflow")
        }
    }
}
