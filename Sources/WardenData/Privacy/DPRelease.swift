/// A differentially private answer and how it was made.
public struct DPRelease: Sendable, Codable, Equatable {
    /// One histogram bin: [low, high) (the last bin includes high) and its noisy count.
    public struct Bin: Sendable, Codable, Equatable {
        public var low: Double
        public var high: Double
        public var count: Double
    }

    public var statistic: DPStatistic
    public var column: String
    public var epsilon: Double
    public var delta: Double
    /// `laplace` (δ = 0) or `gaussian` (δ > 0, analytic calibration).
    public var mechanism: String
    /// The noise scale of each noisy quantity: Laplace b or Gaussian σ, in the query's units. For the
    /// mean: of the sum part (the count part uses the same mechanism with sensitivity 1).
    public var noiseScale: Double
    public var bounds: [Double]
    /// The answer (count, sum, mean); nil for a histogram.
    public var value: Double?
    public var bins: [Bin]?
}
