import WardenAnalysis
import WardenCore

/// Distance of a query to the training distribution (Lee et al., NeurIPS 2018, in input space):
/// class-conditional means and one shared covariance fitted on reference rows, and the score
/// min over classes of (x − μ_c)ᵀ Σ⁻¹ (x − μ_c). Σ gets a ridge (`ridge` × its mean diagonal) so
/// that constant features (blank pixels) keep it invertible. The threshold is the `quantile` of the
/// reference rows' own scores.
public struct MahalanobisScorer: Sendable {
    public let width: Int
    let means: [[Double]]
    /// Lower Cholesky factor of the ridged shared covariance (width × width, row-major).
    let factor: [Double]
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
    }

    /// The squared distance to the nearest class mean (∞ for a row of the wrong width or with NaN).
    public func score(_ x: [Float]) -> Double {
        guard x.count == width else { return .infinity }
        var best = Double.infinity
        var y = [Double](repeating: 0, count: width)
        for mean in means {
            // Solve L y = x − μ; the squared distance is |y|².
            var total = 0.0
            for i in 0..<width {
                var sum = Double(x[i]) - mean[i]
                for k in 0..<i { sum -= factor[i * width + k] * y[k] }
                y[i] = sum / factor[i * width + i]
                total += y[i] * y[i]
                if total >= best { break }
            }
            best = min(best, total)
        }
        return best.isNaN ? .infinity : best
    }
}
