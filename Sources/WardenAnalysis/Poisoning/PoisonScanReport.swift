/// What `warden data scan` found: every suspicious row with its reasons and scores, per-detector
/// counts and thresholds, and a dataset verdict.
public struct PoisonScanReport: Sendable, Codable, Equatable {
    /// Why a row is suspicious.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// Confident learning on the model's and the neighbours' probabilities says the label is wrong.
        case labelIssue = "label_issue"
        /// An exact or near copy of rows with another label.
        case duplicateConflict = "duplicate_conflict"
        /// Far from the rest of the data by several outlier detectors.
        case outlier
        /// In a small, separable cluster of its class's learned representation (a backdoor sign).
        case backdoor
    }

    /// One suspicious row.
    public struct Row: Sendable, Codable, Equatable {
        /// 0-based data row (the header excluded).
        public var index: Int
        public var label: String
        public var reasons: [Reason]
        /// The class the cross-validated model finds most probable.
        public var suggestedLabel: String
        /// The out-of-sample probability of the row's own label.
        public var selfConfidence: Double
        /// The fraction of nearest neighbours with another label.
        public var neighbourDisagreement: Double
        public var robustZ: Double
        /// The χ²-scaled squared robust Mahalanobis distance.
        public var mahalanobis: Double?
        public var isolation: Double
        /// The smallest row index of the conflicting duplicate group.
        public var duplicateGroup: Int?
        /// The spectral-signature outlier score within the row's class.
        public var spectral: Double?
    }

    /// One detector: how many rows it flagged on its own and its threshold.
    public struct Detector: Sendable, Codable, Equatable {
        public var name: String
        public var flagged: Int
        public var threshold: String
        public var note: String?
    }

    /// The backdoor tests of one class (activation clustering and spectral signatures).
    public struct BackdoorClass: Sendable, Codable, Equatable {
        public var label: String
        public var rows: Int
        /// Rows in the smaller 2-means cluster of the reduced representations.
        public var smallCluster: Int
        public var silhouette: Double
        /// The two clusters' d′ along the line through their centres.
        public var separation: Double
        /// The top singular value's share of the class's representation variance.
        public var spectralShare: Double
        public var suspicious: Bool
        public var flagged: Int
        /// The features that separate the flagged rows from the rest of the class.
        public var trigger: TriggerLocalization?
    }

    /// How the backdoor detectors ran.
    public struct Backdoor: Sendable, Codable, Equatable {
        /// The model whose hidden layer gave the representations, and how.
        public var representation: String
        public var width: Int
        public var classes: [BackdoorClass]
    }

    public var source: String
    public var rows: Int
    public var features: Int
    public var classes: [String]
    public var classCounts: [Int]
    public var constantColumns: [String]
    public var model: String
    public var folds: Int
    public var seed: UInt64
    /// Accuracy of the out-of-sample predictions against the given labels.
    public var crossValidatedAccuracy: Double
    public var detectors: [Detector]
    public var suspicious: [Row]
    /// `clean` or `suspicious` (more than `maxFlaggedFraction` of the rows flagged).
    public var verdict: String
    public var maxFlaggedFraction: Double
    public var flaggedFraction: Double
    /// `nil` when the backdoor detectors were not run (`--no-backdoor`).
    public var backdoor: Backdoor? = nil

    /// The 0-based indices of the suspicious rows, ascending.
    public var flaggedIndices: [Int] { suspicious.map(\.index).sorted() }

    public var isClean: Bool { verdict == "clean" }
}
