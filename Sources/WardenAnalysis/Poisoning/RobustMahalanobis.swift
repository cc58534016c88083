import Foundation
import WardenCore

/// Squared Mahalanobis distances under a robust location and covariance: a trimmed estimate found
/// by concentration steps (the C-step of FAST-MCD, from the whole sample): fit mean and covariance
/// on the `h = ⌈0.75·N⌉` rows closest under the previous fit until the subset stops changing, then
/// scale so the median distance matches the χ² median (consistency). A small ridge keeps
/// near-singular covariances (sparse pixels) invertible.
public struct RobustMahalanobis: Sendable {
    /// Squared distances, χ²(`dimensions`)-scaled.
    public let distances: [Double]
    public let dimensions: Int

    /// - Parameters:
    ///   - values: standardised rows, row-major `rows × width`; only `columns` are used.
    /// - Throws: `.invalidInput` when there are fewer rows than twice the dimensions.
    public init(values: [Float], rows: Int, width: Int, columns: [Int], ridge: Double = 1e-3, maxSteps: Int = 30) throws {
        let p = columns.count
        guard p > 0, rows >= 2 * p + 2 else {
            throw WardenError.invalidInput("\(rows) rows are too few for a robust covariance of \(p) features")
        }
        var x = [Double](repeating: 0, count: rows * p)
        for row in 0..<rows { for (j, c) in columns.enumerated() { x[row * p + j] = Double(values[row * width + c]) } }
        let h = Int((0.75 * Double(rows)).rounded(.up))
        var subset = Array(0..<rows)
        var d2 = [Double](repeating: 0, count: rows)
        var previous: Set<Int> = []
        for _ in 0..<maxSteps {
            try Self.distances(x, rows: rows, p: p, fitOn: subset, ridge: ridge, into: &d2)
            let next = Array((0..<rows).sorted { d2[$0] != d2[$1] ? d2[$0] < d2[$1] : $0 < $1 }.prefix(h))
            let set = Set(next)
            if set == previous { break }
            previous = set
            subset = next
        }
        try Self.distances(x, rows: rows, p: p, fitOn: subset, ridge: ridge, into: &d2)
        let median = Distributions.median(d2)
        let scale = median > 0 ? Distributions.chiSquareQuantile(0.5, dof: Double(p)) / median : 1
        distances = d2.map { $0 * scale }
        dimensions = p
    }

    /// d² of every row under the mean and covariance of `fitOn`.
    static func distances(_ x: [Double], rows: Int, p: Int, fitOn subset: [Int], ridge: Double, into d2: inout [Double]) throws {
        var mean = [Double](repeating: 0, count: p)
        for row in subset { for j in 0..<p { mean[j] += x[row * p + j] } }
        for j in 0..<p { mean[j] /= Double(subset.count) }
        var cov = [Double](repeating: 0, count: p * p)
        var centred = [Double](repeating: 0, count: p)
        for row in subset {
            for j in 0..<p { centred[j] = x[row * p + j] - mean[j] }
            for a in 0..<p {
                let ca = centred[a]
                for b in a..<p { cov[a * p + b] += ca * centred[b] }
            }
        }
        for a in 0..<p {
            for b in a..<p {
                cov[a * p + b] /= Double(Swift.max(1, subset.count - 1))
                cov[b * p + a] = cov[a * p + b]
            }
            cov[a * p + a] += ridge
        }
        let l = try Self.cholesky(cov, p)
        var z = [Double](repeating: 0, count: p)
        for row in 0..<rows {
            // Solve L z = (x − μ); d² = ‖z‖².
            var sum = 0.0
            for a in 0..<p {
                var value = x[row * p + a] - mean[a]
                for b in 0..<a { value -= l[a * p + b] * z[b] }
                z[a] = value / l[a * p + a]
                sum += z[a] * z[a]
            }
            d2[row] = sum
        }
    }

    /// The lower Cholesky factor of a symmetric positive-definite matrix.
    static func cholesky(_ m: [Double], _ p: Int) throws -> [Double] {
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
