/// What `warden data drift OLD NEW` found: schema changes, one test per shared feature (KS or χ²,
/// with p-values corrected by Benjamini–Hochberg, and PSI), MMD over the numeric features, label
/// shift, NEW's outlier rows with respect to OLD, and whether the gate tripped (and why).
public struct DriftReport: Sendable, Codable, Equatable {
    public struct Feature: Sendable, Codable, Equatable {
        public var name: String
        /// `numeric` or `categorical`.
        public var kind: String
        /// `ks` (two-sample Kolmogorov–Smirnov) or `chi2` (χ² homogeneity, no continuity correction).
        public var test: String
        public var statistic: Double
        public var pValue: Double
        /// Benjamini–Hochberg adjusted over all feature tests.
        public var adjustedPValue: Double
        /// Population stability index (deciles of OLD for numbers, categories otherwise).
        public var psi: Double
        /// The share of empty or unreadable cells in OLD and NEW.
        public var missingOld: Double
        public var missingNew: Double
        public var drifted: Bool
    }

    public struct MMD: Sendable, Codable, Equatable {
        /// The unbiased MMD² estimate with a Gaussian kernel (median-heuristic bandwidth).
        public var statistic: Double
        public var pValue: Double
        public var permutations: Int
        public var rowsOld: Int
        public var rowsNew: Int
    }

    public struct LabelShift: Sendable, Codable, Equatable {
        public var column: String
        public var countsOld: [String: Int]
        public var countsNew: [String: Int]
        public var chiSquare: Double
        public var pValue: Double
        /// Total variation distance between the two label distributions.
        public var totalVariation: Double
    }

    public var old: String
    public var new: String
    public var rowsOld: Int
    public var rowsNew: Int
    public var addedColumns: [String]
    public var removedColumns: [String]
    /// Columns numeric in one table and categorical in the other.
    public var retypedColumns: [String]
    public var features: [Feature]
    public var mmd: MMD?
    public var labelShift: LabelShift?
    /// 0-based rows of NEW whose largest robust z-score against OLD's median/MAD exceeds the limit.
    public var outlierRows: [Int]
    public var gateTripped: Bool
    public var reasons: [String]
}
