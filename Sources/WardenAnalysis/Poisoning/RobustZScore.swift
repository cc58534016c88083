/// Per-feature robust z-scores `|x − median| / (1.4826 · MAD)`; a row's score is its largest over
/// the columns whose MAD is not zero (a column that is mostly one value, such as a border pixel,
/// has no robust scale and is left to the multivariate detectors).
public struct RobustZScore: Sendable {
    public let scores: [Double]
    /// The column of each row's largest score (`-1` when no column has a scale).
    public let column: [Int]

    public init(values: [Float], rows: Int, width: Int) {
        var scores = [Double](repeating: 0, count: rows)
        var column = [Int](repeating: -1, count: rows)
        var values64 = [Double](repeating: 0, count: rows)
        for c in 0..<width {
            for row in 0..<rows { values64[row] = Double(values[row * width + c]) }
            let median = Distributions.median(values64)
            let mad = Distributions.median(values64.map { abs($0 - median) }) * 1.482602218505602
            guard mad > 1e-12 * Swift.max(1, abs(median)) else { continue }
            for row in 0..<rows {
                let z = abs(values64[row] - median) / mad
                if z > scores[row] {
                    scores[row] = z
                    column[row] = c
                }
            }
        }
        self.scores = scores
        self.column = column
    }
}
