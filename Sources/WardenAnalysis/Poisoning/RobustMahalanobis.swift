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
/// The reference distribution for a cut is not χ²(p) itself: normal scores are normal one column
/// at a time but not jointly, so on real tables the distances are over-dispersed (the quartiles of
/// breast-cancer's 30 features spread like χ²(10), digits' 61 like χ²(25)), and a real member of a
/// heavy-tailed population passes the χ²(p) 0.9999 quantile. ``referenceDegrees`` and
/// ``referenceScale`` fit a scaled `c·χ²(ν)` to the distances' quartiles (Satterthwaite's
/// two-parameter approximation of a quadratic form, with quantiles instead of moments so the
/// outliers themselves cannot widen it); ``cut(_:)`` is its quantile, never below χ²(p)'s.
///
/// ``directionSupport(of:reference:k:)`` looks at the other half of a row's position, its direction
/// (``directions``): see ``PoisonScanner``'s outlier rule.
///
/// Calibration (docs/BENCHMARKS.md): on scikit-learn's clean digits and breast-cancer tables the
/// largest distance stays near the χ²(p) 0.9999 quantile, where the robust-covariance Mahalanobis on
/// the raw scale reached 10⁴–10⁶ times it on rare pixels and skewed columns.
public struct RobustMahalanobis: Sendable {
    /// Squared distances, χ²(`dimensions`)-scaled.
    public let distances: [Double]
    public let dimensions: Int
    /// ν of the `c·χ²(ν)` fitted to the distances' quartiles (``dimensions`` when they are no more
    /// spread than χ²(p)'s).
    public let referenceDegrees: Double
    /// c of the fitted `c·χ²(ν)`: the distances' median over χ²(ν)'s.
    public let referenceScale: Double
    /// Each row's direction from the centre in the whitened space (`L⁻¹(x − μ)` over its length;
    /// zero for the centre itself), row-major `rows × dimensions`.
    public let directions: [Float]

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
        var unit = [Float](repeating: 0, count: rows * p)
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
            let norm = sum.squareRoot()
            if norm > 0 { for a in 0..<p { unit[row * p + a] = Float(z[a] / norm) } }
        }
        let median = Distributions.median(d2)
        let scale = median > 0 ? Distributions.chiSquareQuantile(0.5, dof: Double(p)) / median : 1
        distances = d2.map { $0 * scale }
        dimensions = p
        directions = unit
        (referenceDegrees, referenceScale) = Self.quartileFit(distances, dimensions: p)
    }

    /// The squared distance beyond which a row is an outlier at `quantile`: the larger of the
    /// χ²(``dimensions``) quantile and the fitted `c·χ²(ν)` one.
    public func cut(_ quantile: Double) -> Double {
        let chiSquare = Distributions.chiSquareQuantile(quantile, dof: Double(dimensions))
        guard referenceDegrees < Double(dimensions) else { return chiSquare }
        return Swift.max(chiSquare, referenceScale * Distributions.chiSquareQuantile(quantile, dof: referenceDegrees))
    }

    /// How well the data support each row's direction: the mean cosine between the row's whitened
    /// direction and its `k` most similar directions among `reference` (the row itself left out).
    /// On a heavy-tailed (elliptical, scale-mixture) population a real extreme row is an ordinary
    /// direction at an extraordinary distance, so its direction is as well supported as the rest's;
    /// a foreign row (uniform noise) points where no data lie.
    public func directionSupport(of rows: [Int], reference: [Int], k: Int) -> [Double] {
        let p = dimensions
        return rows.map { row in
            Self.support(Array(directions[(row * p)..<((row + 1) * p)]), directions: directions, reference: reference.filter { $0 != row }, dimensions: p, k: k)
        }
    }

    /// ``directionSupport(of:reference:k:)`` of `count` given unit vectors (row-major) against
    /// `reference` rows of `directions`.
    static func directionSupport(of vectors: [Float], count: Int, directions: [Float], reference: [Int], dimensions p: Int, k: Int) -> [Double] {
        (0..<count).map { Self.support(Array(vectors[($0 * p)..<(($0 + 1) * p)]), directions: directions, reference: reference, dimensions: p, k: k) }
    }

    /// The mean of the `k` largest cosines between `vector` and the `reference` rows of `directions`.
    static func support(_ vector: [Float], directions: [Float], reference: [Int], dimensions p: Int, k: Int) -> Double {
        var best = [Float](repeating: -2, count: k)
        for other in reference {
            var dot: Float = 0
            for a in 0..<p { dot += vector[a] * directions[other * p + a] }
            if dot > best[k - 1] {
                var i = k - 1
                while i > 0 && best[i - 1] < dot { best[i] = best[i - 1]; i -= 1 }
                best[i] = dot
            }
        }
        let found = best.filter { $0 > -2 }
        return found.isEmpty ? -1 : Double(found.reduce(0, +)) / Double(found.count)
    }

    /// ν and c of the `c·χ²(ν)` whose quartile ratio and median match `values`'; ν is found by
    /// bisection on log ν (χ²(ν)'s Q₃/Q₁ falls as ν grows) within [0.5, p]: a sample no more spread
    /// than χ²(p) keeps (p, median / χ²(p)'s median).
    static func quartileFit(_ values: [Double], dimensions p: Int) -> (degrees: Double, scale: Double) {
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
            return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
        }
        let q1 = quantile(0.25), q3 = quantile(0.75), median = quantile(0.5)
        func ratio(_ nu: Double) -> Double {
            Distributions.chiSquareQuantile(0.75, dof: nu) / Distributions.chiSquareQuantile(0.25, dof: nu)
        }
        var nu = Double(p)
        if q1 > 0, q3 / q1 > ratio(nu) {
            var low = log(0.5), high = log(Double(p))
            if q3 / q1 >= ratio(0.5) {
                nu = 0.5
            } else {
                for _ in 0..<60 {
                    let mid = (low + high) / 2
                    if ratio(exp(mid)) > q3 / q1 { low = mid } else { high = mid }
                }
                nu = exp((low + high) / 2)
            }
        }
        let middle = Distributions.chiSquareQuantile(0.5, dof: nu)
        return (nu, median > 0 && middle > 0 ? median / middle : 1)
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
