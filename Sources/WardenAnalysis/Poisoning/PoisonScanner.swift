import Foundation
import WardenCore

/// Runs every poisoning detector over a labelled table in one pass and combines them into a
/// ``PoisonScanReport``. The thresholds are calibrated on clean data (docs/BENCHMARKS.md) so a
/// clean dataset yields (almost) no flags.
public struct PoisonScanner: Sendable {
    public struct Configuration: Sendable {
        public var model: ProbabilityModel
        public var folds: Int
        public var seed: UInt64
        public var neighbours: Int
        /// The neighbour disagreement that, with a confident-learning issue, makes a label issue.
        public var neighbourSupport: Double
        /// The neighbour disagreement that flags a row alone when its self-confidence is below
        /// ``doubtfulConfidence``.
        public var neighbourStrong: Double
        public var doubtfulConfidence: Double
        public var robustZThreshold: Double
        /// The χ² quantile beyond which the robust Mahalanobis distance votes "outlier".
        public var mahalanobisQuantile: Double
        public var isolationThreshold: Double
        /// How many of the three outlier detectors must agree.
        public var outlierVotes: Int
        /// The standardised distance, per √feature, at or below which rows are near duplicates.
        public var nearDuplicateDistance: Double
        public var maxFlaggedFraction: Double

        public init(
            model: ProbabilityModel = .logisticRegression(l2: 1e-3), folds: Int = 5, seed: UInt64 = 0, neighbours: Int = 10,
            neighbourSupport: Double = 0.5, neighbourStrong: Double = 0.9, doubtfulConfidence: Double = 0.2,
            robustZThreshold: Double = 8, mahalanobisQuantile: Double = 0.9999, isolationThreshold: Double = 0.62,
            outlierVotes: Int = 2, nearDuplicateDistance: Double = 1e-3, maxFlaggedFraction: Double = 0.01
        ) {
            self.model = model
            self.folds = folds
            self.seed = seed
            self.neighbours = neighbours
            self.neighbourSupport = neighbourSupport
            self.neighbourStrong = neighbourStrong
            self.doubtfulConfidence = doubtfulConfidence
            self.robustZThreshold = robustZThreshold
            self.mahalanobisQuantile = mahalanobisQuantile
            self.isolationThreshold = isolationThreshold
            self.outlierVotes = outlierVotes
            self.nearDuplicateDistance = nearDuplicateDistance
            self.maxFlaggedFraction = maxFlaggedFraction
        }
    }

    /// Every score of every row, for plots and calibration.
    public struct Scores: Sendable {
        public var selfConfidence: [Double]
        public var predicted: [Int]
        public var neighbourDisagreement: [Double]
        public var robustZ: [Double]
        public var mahalanobis: [Double]?
        public var isolation: [Double]
        public var confidentLearning: [Bool]
        public var reasons: [[PoisonScanReport.Reason]]
    }

    /// Work done so far, for a progress bar.
    public struct Progress: Sendable {
        public var step: String
        public var done: Int
        public var total: Int
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Scans `table`.
    /// - Throws: `.invalidInput` when the data is too small for the folds or neighbours, or training fails.
    public func scan(_ table: FeatureTable, progress: (Progress) -> Void = { _ in }) throws -> (report: PoisonScanReport, scores: Scores) {
        let c = configuration
        let n = table.rows
        let minimumClass = table.classCounts.filter { $0 > 0 }.min() ?? 0
        guard minimumClass >= 2 else {
            let name = table.classes.names[table.classCounts.firstIndex { $0 > 0 && $0 < 2 }!]
            throw WardenError.invalidInput("'\(table.source)': class '\(name)' has a single row; every class needs at least 2 for cross-validation")
        }
        let total = c.folds + 3
        progress(Progress(step: "cross-validation", done: 0, total: total))
        let cv = try CrossValidatedProbabilities(table, model: c.model, folds: c.folds, seed: c.seed) { fold in
            progress(Progress(step: "cross-validation", done: fold, total: total))
        }
        let learning = ConfidentLearning(labels: table.labels, probabilities: cv.probabilities, classes: table.classes.count)
        let k = Swift.min(c.neighbours, n - 1)
        let neighbours = try NearestNeighbors(points: table.standardized, rows: n, width: table.width, k: k)
        progress(Progress(step: "neighbours", done: c.folds + 1, total: total))
        let disagreement = (0..<n).map { row in
            Double(neighbours.neighbours(of: row).filter { table.labels[$0] != table.labels[row] }.count) / Double(k)
        }
        let duplicates = DuplicateLabelConflicts(
            table: table, neighbours: neighbours, nearDistance: Float(c.nearDuplicateDistance * Double(table.width).squareRoot())
        ) { rows in
            // The class with the highest mean out-of-sample probability over the group.
            let k = table.classes.count
            let means = (0..<k).map { c in rows.reduce(0.0) { $0 + Double(cv.probabilities[$1 * k + c]) } }
            return means.firstIndex(of: means.max()!)
        }

        let informative = table.informativeColumns
        let robustZ = RobustZScore(values: table.raw, rows: n, width: table.width)
        var mahalanobisNote: String?
        var mahalanobis: RobustMahalanobis?
        if informative.count <= 512 {
            mahalanobis = try? RobustMahalanobis(values: table.standardized, rows: n, width: table.width, columns: informative)
            if mahalanobis == nil { mahalanobisNote = "skipped: too few rows for \(informative.count) features" }
        } else {
            mahalanobisNote = "skipped: more than 512 features"
        }
        let mahalanobisCut = mahalanobis.map { Distributions.chiSquareQuantile(c.mahalanobisQuantile, dof: Double($0.dimensions)) }
        let forest = IsolationForest(values: table.standardized, rows: n, width: table.width, seed: c.seed)
        progress(Progress(step: "outliers", done: c.folds + 2, total: total))

        var reasons = [[PoisonScanReport.Reason]](repeating: [], count: n)
        var counts: [String: Int] = [:]
        for row in 0..<n {
            let doubted = learning.selfConfidence[row] < c.doubtfulConfidence && learning.predicted[row] != table.labels[row]
            if learning.isIssue[row] && disagreement[row] >= c.neighbourSupport {
                reasons[row].append(.labelIssue)
            } else if disagreement[row] >= c.neighbourStrong && doubted {
                reasons[row].append(.neighbourDisagreement)
            }
            if duplicates.group[row] != nil { reasons[row].append(.duplicateConflict) }
            let zVote = robustZ.scores[row] > c.robustZThreshold
            let mVote = mahalanobis.map { $0.distances[row] > mahalanobisCut! } ?? false
            let iVote = forest.scores[row] > c.isolationThreshold
            if zVote { counts["robust_z", default: 0] += 1 }
            if mVote { counts["mahalanobis", default: 0] += 1 }
            if iVote { counts["isolation_forest", default: 0] += 1 }
            // A value far beyond any plausible scale (a typo, a sensor glitch) is enough alone.
            let votes = [zVote, mVote, iVote].filter { $0 }.count
            if votes >= Swift.min(c.outlierVotes, mahalanobis == nil ? 2 : 3) || robustZ.scores[row] > 5 * c.robustZThreshold {
                reasons[row].append(.outlier)
            }
            if learning.isIssue[row] { counts["confident_learning", default: 0] += 1 }
            if disagreement[row] >= c.neighbourStrong { counts["knn", default: 0] += 1 }
        }

        let names = table.classes.names
        var suspicious: [PoisonScanReport.Row] = []
        for row in 0..<n where !reasons[row].isEmpty {
            suspicious.append(PoisonScanReport.Row(
                index: row, label: names[table.labels[row]], reasons: reasons[row], suggestedLabel: names[learning.predicted[row]],
                selfConfidence: learning.selfConfidence[row], neighbourDisagreement: disagreement[row], robustZ: robustZ.scores[row],
                mahalanobis: mahalanobis?.distances[row], isolation: forest.scores[row], duplicateGroup: duplicates.group[row], spectral: nil))
        }
        let detectors = [
            PoisonScanReport.Detector(
                name: "confident_learning", flagged: counts["confident_learning", default: 0],
                threshold: "per-class mean self-confidence, prune by noise rate", note: "\(c.folds)-fold \(c.model), accuracy \(String(format: "%.3f", cv.accuracy))"),
            .init(name: "knn", flagged: counts["knn", default: 0], threshold: "≥ \(c.neighbourStrong) of \(k) neighbours disagree", note: nil),
            .init(name: "duplicates", flagged: duplicates.group.count, threshold: "exact, or distance ≤ \(c.nearDuplicateDistance)·√F", note: nil),
            .init(name: "robust_z", flagged: counts["robust_z", default: 0], threshold: "max |z| > \(c.robustZThreshold)", note: nil),
            .init(
                name: "mahalanobis", flagged: counts["mahalanobis", default: 0],
                threshold: mahalanobisCut.map { String(format: "d² > %.1f (χ² %g)", $0, c.mahalanobisQuantile) } ?? "-", note: mahalanobisNote),
            .init(name: "isolation_forest", flagged: counts["isolation_forest", default: 0], threshold: "score > \(c.isolationThreshold)", note: nil),
        ]
        let fraction = Double(suspicious.count) / Double(n)
        let report = PoisonScanReport(
            source: table.source, rows: n, features: table.width, classes: names, classCounts: table.classCounts,
            constantColumns: table.constantColumns.map { table.featureNames[$0] }, model: c.model.description, folds: c.folds, seed: c.seed,
            crossValidatedAccuracy: cv.accuracy, detectors: detectors, suspicious: suspicious,
            verdict: fraction > c.maxFlaggedFraction ? "suspicious" : "clean", maxFlaggedFraction: c.maxFlaggedFraction, flaggedFraction: fraction)
        let scores = Scores(
            selfConfidence: learning.selfConfidence, predicted: learning.predicted, neighbourDisagreement: disagreement,
            robustZ: robustZ.scores, mahalanobis: mahalanobis?.distances, isolation: forest.scores, confidentLearning: learning.isIssue,
            reasons: reasons)
        progress(Progress(step: "done", done: total, total: total))
        return (report, scores)
    }
}
