import WardenAnalysis
import WardenCore

/// Distance of a query to the training distribution (Lee et al., NeurIPS 2018, in input space):
/// class-conditional means and one shared covariance fitted on reference rows, and the score
/// min over classes of (x − μ_c)ᵀ Σ⁻¹ (x − μ_c). Σ gets a ridge (`ridge` × its mean diagonal) so
/// that constant features (blank pixels) keep it invertible. The threshold is the `quantile` of the
/// reference rows' own scores.
///
/// Scoring whitens once: with Σ = L Lᵀ, (x − μ_c)ᵀ Σ⁻¹ (x − μ_c) = |L⁻¹x − L⁻¹μ_c|², so a query
/// costs one triangular solve (width²/2 multiply-adds) plus width per class, with the whitened
/// means L⁻¹μ_c computed at calibration (one solve per class instead of one per class and query).
public struct MahalanobisScorer: Sendable {
    public let width: Int
    let means: [[Double]]
    /// Lower Cholesky factor of the ridged shared covariance (width × width, row-major).
    let factor: [Double]
    /// The class means whitened, L⁻¹μ_c, concatenated (classes × width).
    let whitenedMeans: [Double]
    /// 1 / L_ii.
    let inverseDiagonal: [Double]
    /// Scores above this are out of distribution.
    public let threshold: Double
    /// Share of each class label (0, 1, …) among the reference rows (the answers a benign client
    /// replaying natural data should get).
    public let classShares: [Double]

    /// - Throws: `.invalidInput` for fewer than two reference rows, a width mismatch, or non-finite values.
    public init(features: [Float], width: Int, classes: [Int], quantile: Double = 0.995, ridge: Double = 1e-2) throws {
        let rows = classes.count
        guard width > 0, rows >= 2, features.count == rows * width, features.allSatisfy(\.isFinite) else {
            throw WardenError.invalidInput("The reference data needs at least 2 finite rows of \(width) features (got \(rows) rows, \(features.count) values)")
        }
        let classCount = (classes.max() ?? 0) + 1
        var sums = [[Double]](repeating: [Double](repeating: 0, count: width), count: classCount)
        var counts = [Int](repeating: 0, count: classCount)
        for (row, c) in classes.enumerated() where c >= 0 {
            counts[c] += 1
            for j in 0..<width { sums[c][j] += Double(features[row * width + j]) }
        }
        let means = zip(sums, counts).filter { $0.1 > 0 }.map { sum, count in sum.map { $0 / Double(count) } }
        var covariance = [Double](repeating: 0, count: width * width)
        for (row, c) in classes.enumerated() where c >= 0 {
            let mean = sums[c].map { $0 / Double(counts[c]) }
            let d = (0..<width).map { Double(features[row * width + $0]) - mean[$0] }
            for i in 0..<width where d[i] != 0 {
                for j in 0...i { covariance[i * width + j] += d[i] * d[j] }
            }
        }
        var trace = 0.0
        for i in 0..<width {
            for j in 0...i {
                covariance[i * width + j] /= Double(max(1, rows - means.count))
                covariance[j * width + i] = covariance[i * width + j]
            }
            trace += covariance[i * width + i]
        }
        let lift = max(1e-9, ridge * trace / Double(width))
        for i in 0..<width { covariance[i * width + i] += lift }
        let shares = counts.map { Double($0) / Double(max(1, counts.reduce(0, +))) }
        let uncalibrated = MahalanobisScorer(width: width, means: means, factor: try RobustMahalanobis.cholesky(covariance, width), threshold: 0, classShares: shares)
        let scores = (0..<rows).map { uncalibrated.score(Array(features[($0 * width)..<(($0 + 1) * width)])) }.sorted()
        let limit = scores[min(rows - 1, max(0, Int((quantile * Double(rows)).rounded(.up)) - 1))]
        self.init(width: width, means: means, factor: uncalibrated.factor, threshold: limit, classShares: shares)
    }

    init(width: Int, means: [[Double]], factor: [Double], threshold: Double, classShares: [Double]) {
        self.width = width
        self.means = means
        self.factor = factor
        self.threshold = threshold
        self.classShares = classShares
        let inverseDiagonal = (0..<width).map { 1 / factor[$0 * width + $0] }
        self.inverseDiagonal = inverseDiagonal
        var whitened = [Double](repeating: 0, count: means.count * width)
        whitened.withUnsafeMutableBufferPointer { out in
            factor.withUnsafeBufferPointer { l in
                for (c, mean) in means.enumerated() {
                    let y = UnsafeMutableBufferPointer(rebasing: out[(c * width)..<((c + 1) * width)])
                    mean.withUnsafeBufferPointer { mu in Self.solve(l, inverseDiagonal, width: width, into: y) { mu[$0] } }
                }
            }
        }
        whitenedMeans = whitened
    }

    /// Forward substitution: `y` = L⁻¹ v, with v's entries given by `value(i)`.
    @inline(__always)
    static func solve(
        _ l: UnsafeBufferPointer<Double>, _ inverseDiagonal: [Double], width: Int, into y: UnsafeMutableBufferPointer<Double>, _ value: (Int) -> Double
    ) {
        for i in 0..<width {
            var sum = value(i)
            let row = i * width
            for k in 0..<i { sum -= l[row + k] * y[k] }
            y[i] = sum * inverseDiagonal[i]
        }
    }

    /// The squared distance to the nearest class mean (∞ for a row of the wrong width or with NaN).
    public func score(_ x: [Float]) -> Double {
        guard x.count == width, !means.isEmpty else { return .infinity }
        let width = width
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { z in
            factor.withUnsafeBufferPointer { l in
                x.withUnsafeBufferPointer { x in Self.solve(l, inverseDiagonal, width: width, into: z) { Double(x[$0]) } }
            }
            var best = Double.infinity
            whitenedMeans.withUnsafeBufferPointer { m in
                for c in 0..<(m.count / width) {
                    var total = 0.0
                    let base = c * width
                    for i in 0..<width {
                        let d = z[i] - m[base + i]
                        total += d * d
                    }
                    best = min(best, total)
                }
            }
            return best.isNaN ? .infinity : best
        }
    }
}
