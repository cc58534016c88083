import Foundation
import WardenCore

/// Squared Mahalanobis distances on normal scores, robust to skewed, heavy-tailed and discrete
/// features: each column is replaced by the standard-normal quantile of its mid-rank
/// `Φ⁻¹((rank − ½) / N)` (ties share their average rank), so no single value can be more than about
/// `Φ⁻¹(1 − ½N)` from the centre and each row's influence on the fit is bounded; the covariance of
/// the scores is shrunk towards the identity (`(1 − shrinkage)·S + shrinkage·I`, which also keeps
/// sparse-pixel covariances invertible), and the distances are scaled so their median matches the
/// χ²(p) median. A row that breaks the data's dependence structure (uniform noise, whose features
/// disagree with each other) is far even when every value is inside its column's range; an
/// extreme value in one column (a typo) is the robust z-score's job.
///
/// Calibration (docs/BENCHMARKS.md): on scikit-learn's clean digits and breast-cancer tables the
/// largest distance stays near the χ²(p) 0.9999 quantile, where the robust-covariance Mahalanobis on
/// the raw scale reached 10⁴–10⁶ times it on rare pixels and skewed columns.
public struct RobustMahalanobis: Sendable {
    /// Squared distances, χ²(`dimensions`)-scaled.
    public let distances: [Double]
    public let dimensions: Int

    /// - Parameters:
    ///   - values: rows, row-major `rows × width` (raw or standardised: only ranks matter); only
    ///     `columns` are used.
    /// - Throws: `.invalidInput` when there are fewer rows than twice the dimensions.
    public init(values: [Float], rows: Int, width: Int, columns: [Int], shrinkage: Double = 0.1) throws {
        let p = columns.count
        guard p > 0, rows >= 2 * p + 2 else {
            throw WardenError.invalidInput("\(rows) rows are too few for a robust covariance of \(p) features")
        }
        var x = [Double](repeating: 0, count: rows * p)
        var order = Array(0..<rows)
        for (j, c) in columns.enumerated() {
            order.sort { values[$0 * width + c] < values[$1 * width + c] }
            var start = 0
            while start < rows {
                var end = start + 1
                while end < rows && values[order[end] * width + c] == values[order[start] * width + c] { end += 1 }
                // Ranks start..<end (0-based) share the mid-rank; as a probability (r + ½)/N.
                let score = Distributions.normalQuantile((Double(start + end) / 2) / Double(rows))
                for i in start..<end { x[order[i] * p + j] = score }
                start = end
            }
        }
        var mean = [Double](repeating: 0, count: p)
        for row in 0..<rows { for j in 0..<p { mean[j] += x[row * p + j] } }
        for j in 0..<p { mean[j] /= Double(rows) }
        for row in 0..<rows { for j in 0..<p { x[row * p + j] -= mean[j] } }
        var cov = [Double](repeating: 0, count: p * p)
        for row in 0..<rows {
            let base = row * p
            for a in 0..<p {
                let ca = x[base + a]
                guard ca != 0 else { continue }
                for b in a..<p { cov[a * p + b] += ca * x[base + b] }
            }
        }
        for a in 0..<p {
            for b in a..<p {
                let value = (1 - shrinkage) * cov[a * p + b] / Double(rows - 1)
                cov[a * p + b] = value
                cov[b * p + a] = value
            }
            cov[a * p + a] += shrinkage
        }
        let l = try Self.cholesky(cov, p)
        var d2 = [Double](repeating: 0, count: rows)
        var z = [Double](repeating: 0, count: p)
        for row in 0..<rows {
            // Solve L z = x − μ; d² = ‖z‖².
            var sum = 0.0
            for a in 0..<p {
                var value = x[row * p + a]
                for b in 0..<a { value -= l[a * p + b] * z[b] }
                z[a] = value / l[a * p + a]
                sum += z[a] * z[a]
            }
            d2[row] = sum
        }
        let median = Distributions.median(d2)
        let scale = median > 0 ? Distributions.chiSquareQuantile(0.5, dof: Double(p)) / median : 1
        distances = d2.map { $0 * scale }
        dimensions = p
    }

    /// The lower Cholesky factor of a symmetric positive-definite matrix.
    package static func cholesky(_ m: [Double], _ p: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var sum = m[i * p + j]
                for k in 0..<j { sum -= l[i * p + k] * l[j * p + k] }
                if i == j {
                    guard sum > 0 else { throw WardenError.internalError("The robust covariance is not positive definite") }
                    l[i * p + i] = sum.squareRoot()
                } else {
                    l[i * p + j] = sum / l[j * p + j]
                }
            }
        }
        return l
    }
}
