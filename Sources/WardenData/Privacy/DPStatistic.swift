/// The aggregates `warden data dp-stats` releases.
public enum DPStatistic: String, Sendable, Codable, CaseIterable {
    /// Rows with a value in the column. Sensitivity 1.
    case count
    /// The sum of values clamped to [lo, hi]. Sensitivity max(|lo|, |hi|).
    case sum
    /// A noisy sum over a noisy count, each with half of ε (and of δ). See ``DPAggregator``.
    case mean
    /// Counts in equal-width bins over [lo, hi] (values outside go to the end bins). Sensitivity 1.
    case histogram
}
