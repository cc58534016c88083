import Foundation
import WardenCore
import WardenTensor

/// Multinomial logistic regression with an L2 penalty, fitted full-batch by accelerated gradient
/// descent (FISTA momentum, step 1/L from a power-iteration estimate of the Lipschitz constant), on
/// WardenTensor's GEMM. Deterministic: no random initialisation (weights start at 0).
///
/// Objective: mean cross-entropy + `l2`/2 · ‖W‖² (the bias is not penalised). scikit-learn's
/// `LogisticRegression(C=c)` minimises the same with `l2 = 1/(c·n)`.
public struct SoftmaxRegression: Sendable {
    public let width: Int
    public let classes: Int
    /// `width × classes`, row-major.
    public private(set) var weights: [Float]
    public private(set) var bias: [Float]

    /// Fits on `x` (`rows × width`, row-major) and class indices in `0..<classes`.
    /// - Throws: `.invalidInput` for mismatched sizes, fewer than two classes, or a diverging fit.
    public init(x: Tensor<Float>, labels: [Int], classes: Int, l2: Double = 1e-3, iterations: Int = 300) throws {
        guard x.rank == 2, x.shape[0] == labels.count, x.shape[0] > 0 else {
            throw WardenError.invalidInput("Logistic regression needs features [N, F] and N labels, got \(x.shape) and \(labels.count)")
        }
        guard classes >= 2 else { throw WardenError.invalidInput("Logistic regression needs at least two classes") }
        let n = x.shape[0], d = x.shape[1]
        width = d
        self.classes = classes
        weights = [Float](repeating: 0, count: d * classes)
        bias = [Float](repeating: 0, count: classes)
        var onehot = [Float](repeating: 0, count: n * classes)
        for (row, label) in labels.enumerated() {
            guard label >= 0, label < classes else { throw WardenError.invalidInput("Label index \(label) is not in 0..<\(classes)") }
            onehot[row * classes + label] = 1
        }
        // Largest eigenvalue of XᵀX/n (with the bias column) by power iteration; the softmax
        // cross-entropy's Hessian is bounded by ½·that.
        var v = [Float](repeating: 1 / Float(d + 1).squareRoot(), count: d)
        var vb: Float = 1 / Float(d + 1).squareRoot()
        var eigen: Float = 1
        for _ in 0..<30 {
            let xv = try Tensor.matmul(x, Tensor(shape: [d, 1], scalars: v)).scalars.map { $0 + vb }
            let xtxv = try Tensor.matmul(x, Tensor(shape: [n, 1], scalars: xv), transposeA: true).scalars
            let sum = xv.reduce(0, +)
            var norm: Float = sum * sum
            for value in xtxv { norm += value * value }
            norm = norm.squareRoot()
            eigen = norm / Float(n)
            guard norm > 0 else { break }
            v = xtxv.map { $0 / norm }
            vb = sum / norm
        }
        let step = 1 / (0.5 * eigen + Float(l2))
        var w = weights, b = bias
        var previousW = w, previousB = b
        var t: Float = 1
        for _ in 0..<iterations {
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let beta = (t - 1) / tNext
            t = tNext
            // Look-ahead point.
            let yw = zip(w, previousW).map { $0 + beta * ($0 - $1) }
            let yb = zip(b, previousB).map { $0 + beta * ($0 - $1) }
            var residual = try Self.probabilities(x, weights: yw, bias: yb, classes: classes)
            for i in residual.indices { residual[i] -= onehot[i] }
            let gradient = try Tensor.matmul(x, Tensor(shape: [n, classes], scalars: residual), transposeA: true).scalars
            var gradientB = [Float](repeating: 0, count: classes)
            for row in 0..<n {
                for c in 0..<classes { gradientB[c] += residual[row * classes + c] }
            }
            previousW = w
            previousB = b
            for i in w.indices { w[i] = yw[i] - step * (gradient[i] / Float(n) + Float(l2) * yw[i]) }
            for c in 0..<classes { b[c] = yb[c] - step * gradientB[c] / Float(n) }
            guard w.allSatisfy(\.isFinite) else {
                throw WardenError.invalidInput("Logistic regression diverged; check the features for extreme values")
            }
        }
        weights = w
        bias = b
    }

    /// Class probabilities, row-major `rows × classes`.
    /// - Throws: `.invalidInput` when `x` does not have `width` columns.
    public func probabilities(_ x: Tensor<Float>) throws -> [Float] {
        guard x.rank == 2, x.shape[1] == width else {
            throw WardenError.invalidInput("Logistic regression takes \(width) features, got \(x.shape)")
        }
        return try Self.probabilities(x, weights: weights, bias: bias, classes: classes)
    }

    static func probabilities(_ x: Tensor<Float>, weights: [Float], bias: [Float], classes: Int) throws -> [Float] {
        var logits = try Tensor.matmul(x, Tensor(shape: [x.shape[1], classes], scalars: weights)).scalars
        let n = x.shape[0]
        for row in 0..<n {
            var top = -Float.infinity
            for c in 0..<classes {
                logits[row * classes + c] += bias[c]
                top = Swift.max(top, logits[row * classes + c])
            }
            var sum: Float = 0
            for c in 0..<classes {
                let e = Float(exp(Double(logits[row * classes + c] - top)))
                logits[row * classes + c] = e
                sum += e
            }
            for c in 0..<classes { logits[row * classes + c] /= sum }
        }
        return logits
    }
}
