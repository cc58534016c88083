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
/// The distance also splits along the eigenvectors of that covariance: ``residuals`` is the part off
/// the principal subspace (the components past 90 % of the variance), the distance of a row from
/// the data's correlation structure. An extreme but real row (a very large tumour, large in every
/// size feature together) is far *along* the principal axes, a "good leverage point" in Hubert,
/// Rousseeuw & Vanden Branden's outlier map (ROBPCA, 2005); a row that breaks the correlations
/// (uniform noise) is far *off* them. ``residualFence`` is Tukey's far-out fence on the log residual
/// distances.
///
/// Calibration (docs/BENCHMARKS.md): on scikit-learn's clean digits and breast-cancer tables the
/// largest distance stays near the χ²(p) 0.9999 quantile, where the robust-covariance Mahalanobis on
/// the raw scale reached 10⁴–10⁶ times it on rare pixels and skewed columns.
public struct RobustMahalanobis: Sendable {
    /// Squared distances, χ²(`dimensions`)-scaled.
    public let distances: [Double]
    public let dimensions: Int
    /// Squared distances in the minor-component subspace (past ``principalShare`` of the variance),
    /// χ²(`dimensions − principalComponents`)-scaled; all zero when no minor component is left.
    public let residuals: [Double]
    /// How many leading eigenvectors span the principal subspace.
    public let principalComponents: Int
    /// Tukey's far-out fence on the residual distances, taken on the log scale (they are χ²-like,
    /// right-skewed): `exp(Q₃ + 3·(Q₃ − Q₁))` of `log residuals`.
    public let residualFence: Double
    /// The share of the variance the principal subspace spans.
    public static let principalShare = 0.9

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

        let (eigenvalues, vectors) = Self.symmetricEigen(cov, p)
        let ranked = (0..<p).sorted { eigenvalues[$0] > eigenvalues[$1] }
        let trace = eigenvalues.reduce(0, +)
        var k = 0, covered = 0.0
        while k < p && covered < Self.principalShare * trace {
            covered += eigenvalues[ranked[k]]
            k += 1
        }
        principalComponents = k
        var residual = [Double](repeating: 0, count: rows)
        if k < p {
            for row in 0..<rows {
                var sum = 0.0
                for index in ranked[k...] {
                    var t = 0.0
                    for a in 0..<p { t += x[row * p + a] * vectors[a * p + index] }
                    sum += t * t / eigenvalues[index]
                }
                residual[row] = sum
            }
            let middle = Distributions.median(residual)
            let residualScale = middle > 0 ? Distributions.chiSquareQuantile(0.5, dof: Double(p - k)) / middle : 1
            residual = residual.map { $0 * residualScale }
        }
        residuals = residual
        let logs = residual.filter { $0 > 0 }.map { log($0) }.sorted()
        if logs.count >= 4 {
            let q1 = Self.quantile(logs, 0.25), q3 = Self.quantile(logs, 0.75)
            residualFence = exp(q3 + 3 * (q3 - q1))
        } else {
            residualFence = .infinity
        }
    }

    /// The `q` quantile of sorted values, linearly interpolated (NumPy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }

    /// Eigenvalues and eigenvectors (column `j` of the row-major `p × p` result belongs to value `j`)
    /// of a symmetric matrix, by cyclic Jacobi rotations until the off-diagonal mass is negligible.
    package static func symmetricEigen(_ m: [Double], _ p: Int) -> (values: [Double], vectors: [Double]) {
        var a = m
        var v = [Double](repeating: 0, count: p * p)
        for i in 0..<p { v[i * p + i] = 1 }
        let scale = (0..<p).reduce(0.0) { $0 + a[$1 * p + $1] * a[$1 * p + $1] }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<p { for j in (i + 1)..<p { off += a[i * p + j] * a[i * p + j] } }
            if off <= 1e-24 * Swift.max(scale, 1e-300) { break }
            for i in 0..<p {
                for j in (i + 1)..<p {
                    let aij = a[i * p + j]
                    guard abs(aij) > 1e-300 else { continue }
                    let theta = (a[j * p + j] - a[i * p + i]) / (2 * aij)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for r in 0..<p {
                        let ari = a[r * p + i], arj = a[r * p + j]
                        a[r * p + i] = c * ari - s * arj
                        a[r * p + j] = s * ari + c * arj
                    }
                    for r in 0..<p {
                        let air = a[i * p + r], ajr = a[j * p + r]
                        a[i * p + r] = c * air - s * ajr
                        a[j * p + r] = s * air + c * ajr
                    }
                    for r in 0..<p {
                        let vri = v[r * p + i], vrj = v[r * p + j]
                        v[r * p + i] = c * vri - s * vrj
                        v[r * p + j] = s * vri + c * vrj
                    }
                }
            }
        }
        return ((0..<p).map { a[$0 * p + $0] }, v)
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
