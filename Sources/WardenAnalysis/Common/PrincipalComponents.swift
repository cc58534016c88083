/// The leading principal components of a set of rows: the rows are centred on their mean and the
/// top `count` right singular directions found by orthogonal (subspace) iteration on XᵀX, in
/// Double, from a fixed start (deterministic). Cost O(iterations · rows · width · count).
public struct PrincipalComponents: Sendable {
    public let width: Int
    public let mean: [Double]
    /// `count` unit directions of `width` values each, by decreasing variance.
    public let directions: [[Double]]
    /// The variance of the rows along each direction.
    public let variances: [Double]

    /// - Parameters:
    ///   - values: row-major `rows.count × width` is read through `rows` (indices into a row-major
    ///     table of `width` columns).
    public init(values: [Float], width: Int, rows: [Int], count: Int, iterations: Int = 60) {
        self.width = width
        let n = rows.count
        var mean = [Double](repeating: 0, count: width)
        for row in rows {
            for c in 0..<width { mean[c] += Double(values[row * width + c]) }
        }
        if n > 0 { for c in 0..<width { mean[c] /= Double(n) } }
        self.mean = mean
        var x = [Double](repeating: 0, count: n * width)
        for (i, row) in rows.enumerated() {
            for c in 0..<width { x[i * width + c] = Double(values[row * width + c]) - mean[c] }
        }
        let k = Swift.max(0, Swift.min(count, width, n))
        // A fixed, full-rank start that is unlikely to be orthogonal to any component.
        var basis: [[Double]] = (0..<k).map { j in
            (0..<width).map { c -> Double in
                let base = Double((c * 7 + j * 13) % 17) + 1
                return c == j ? base + 5 : base
            }
        }
        Self.orthonormalise(&basis)
        for _ in 0..<iterations {
            basis = basis.map { v in Self.covarianceTimes(v, x: x, rows: n, width: width) }
            Self.orthonormalise(&basis)
        }
        // Order by variance (subspace iteration converges to the subspace; sort within it).
        let variances = basis.map { v in Self.projectionVariance(v, x: x, rows: n, width: width) }
        let order = variances.indices.sorted { variances[$0] > variances[$1] }
        directions = order.map { basis[$0] }
        self.variances = order.map { variances[$0] }
    }

    /// The coordinates of `values[row]` along each direction.
    public func project(_ values: [Float], row: Int) -> [Double] {
        directions.map { v in
            var dot = 0.0
            for c in 0..<width { dot += (Double(values[row * width + c]) - mean[c]) * v[c] }
            return dot
        }
    }

    static func covarianceTimes(_ v: [Double], x: [Double], rows: Int, width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: width)
        for row in 0..<rows {
            var dot = 0.0
            for c in 0..<width { dot += x[row * width + c] * v[c] }
            for c in 0..<width { out[c] += dot * x[row * width + c] }
        }
        return out
    }

    static func projectionVariance(_ v: [Double], x: [Double], rows: Int, width: Int) -> Double {
        guard rows > 0 else { return 0 }
        var sum = 0.0
        for row in 0..<rows {
            var dot = 0.0
            for c in 0..<width { dot += x[row * width + c] * v[c] }
            sum += dot * dot
        }
        return sum / Double(rows)
    }

    /// Modified Gram–Schmidt; a direction that collapses (rank deficiency) becomes zero.
    static func orthonormalise(_ basis: inout [[Double]]) {
        for j in basis.indices {
            for i in 0..<j {
                let dot = zip(basis[j], basis[i]).reduce(0) { $0 + $1.0 * $1.1 }
                for c in basis[j].indices { basis[j][c] -= dot * basis[i][c] }
            }
            let norm = basis[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            basis[j] = norm > 1e-12 ? basis[j].map { $0 / norm } : basis[j].map { _ in 0 }
        }
    }
}
