import Foundation
import WardenCore
import WardenModels

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
        /// The backdoor detectors' thresholds; `nil` skips them.
        public var backdoor: BackdoorDetector.Configuration?
        /// The model trained on all rows whose last hidden layer gives the representations; `nil`:
        /// ``model`` when it has a hidden layer, else an `mlp:64` trained for 30 epochs.
        public var representationModel: ProbabilityModel?
        /// `[C, H, W]` of image-like features for trigger localisation; `nil`: inferred from a
        /// square feature count (``TriggerLocalization/imageShape(_:features:)``).
        public var imageShape: [Int]?

        public init(
            model: ProbabilityModel = .logisticRegression(l2: 1e-3), folds: Int = 5, seed: UInt64 = 0, neighbours: Int = 10,
            neighbourSupport: Double = 0.5, neighbourStrong: Double = 0.9, doubtfulConfidence: Double = 0.2,
            robustZThreshold: Double = 8, mahalanobisQuantile: Double = 0.9999, isolationThreshold: Double = 0.62,
            outlierVotes: Int = 2, nearDuplicateDistance: Double = 1e-3, maxFlaggedFraction: Double = 0.01,
            backdoor: BackdoorDetector.Configuration? = BackdoorDetector.Configuration(), representationModel: ProbabilityModel? = nil,
            imageShape: [Int]? = nil
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
            self.backdoor = backdoor
            self.representationModel = representationModel
            self.imageShape = imageShape
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
        /// The spectral-signature score of each row (`nil` where the class was not tested).
        public var spectral: [Double?]
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
        let total = c.folds + 4
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
        var backdoorSummary: PoisonScanReport.Backdoor?
        var spectral = [Double?](repeating: nil, count: n)
        var backdoorDetectors: [PoisonScanReport.Detector] = []
        if let settings = c.backdoor {
            let (summary, detector) = try backdoors(table, settings: settings)
            backdoorSummary = summary
            if let detector {
                spectral = detector.spectralScores
                for row in detector.flagged { reasons[row].append(.backdoor) }
                let suspiciousClasses = detector.classes.filter(\.suspicious)
                backdoorDetectors = [
                    .init(
                        name: "activation_clustering", flagged: suspiciousClasses.reduce(0) { $0 + $1.smallCluster },
                        threshold: String(format: "small cluster ≤ %.0f%%, silhouette ≥ %.2f, d′ ≥ %.1f", settings.maxClusterFraction * 100, settings.minimumSilhouette, settings.minimumSeparation),
                        note: summary.representation),
                    .init(
                        name: "spectral_signatures", flagged: suspiciousClasses.reduce(0) { $0 + $1.spectralFlagged },
                        threshold: String(format: "top 1.5·ε̂ tail, robust z ≥ %.1f", settings.minimumSpectralZ), note: nil),
                ]
            } else {
                backdoorDetectors = [.init(name: "activation_clustering", flagged: 0, threshold: "-", note: summary.representation)]
            }
        }
        progress(Progress(step: "backdoors", done: c.folds + 3, total: total))
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
                mahalanobis: mahalanobis?.distances[row], isolation: forest.scores[row], duplicateGroup: duplicates.group[row], spectral: spectral[row]))
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
        ] + backdoorDetectors
        let fraction = Double(suspicious.count) / Double(n)
        let report = PoisonScanReport(
            source: table.source, rows: n, features: table.width, classes: names, classCounts: table.classCounts,
            constantColumns: table.constantColumns.map { table.featureNames[$0] }, model: c.model.description, folds: c.folds, seed: c.seed,
            crossValidatedAccuracy: cv.accuracy, detectors: detectors, suspicious: suspicious,
            verdict: fraction > c.maxFlaggedFraction ? "suspicious" : "clean", maxFlaggedFraction: c.maxFlaggedFraction, flaggedFraction: fraction,
            backdoor: backdoorSummary)
        let scores = Scores(
            selfConfidence: learning.selfConfidence, predicted: learning.predicted, neighbourDisagreement: disagreement,
            robustZ: robustZ.scores, mahalanobis: mahalanobis?.distances, isolation: forest.scores, confidentLearning: learning.isIssue,
            spectral: spectral, reasons: reasons)
        progress(Progress(step: "done", done: total, total: total))
        return (report, scores)
    }

    /// Trains the representation model on every row and runs ``BackdoorDetector`` on its last
    /// hidden layer; localises the trigger in each suspicious class.
    func backdoors(_ table: FeatureTable, settings: BackdoorDetector.Configuration) throws -> (PoisonScanReport.Backdoor, BackdoorDetector?) {
        let c = configuration
        let fallback = ProbabilityModel.network(spec: try ModelSpec(parsing: "mlp:64"), epochs: 30, learningRate: 3e-3)
        var candidates = [fallback]
        if let chosen = c.representationModel {
            candidates = [chosen]
        } else {
            switch c.model {
            case .network, .onnx: candidates.insert(c.model, at: 0)
            case .logisticRegression: break
            }
        }
        let all = Array(0..<table.rows)
        var found: (model: ProbabilityModel, values: [Float], width: Int)?
        for model in candidates where found == nil {
            if let representation = try model.fit(table, rows: all, seed: c.seed ^ 0xBAC_D002).penultimate(table, rows: all) {
                found = (model, representation.values, representation.width)
            }
        }
        guard let (model, values, width) = found else {
            return (PoisonScanReport.Backdoor(representation: "skipped: \(candidates[0]) has no hidden layer", width: 0, classes: []), nil)
        }
        let representation = (values: values, width: width)
        let detector = BackdoorDetector(
            representations: representation.values, width: representation.width, labels: table.labels, classCount: table.classes.count,
            seed: c.seed, configuration: settings)
        let shape = try c.imageShape ?? TriggerLocalization.imageShape(nil, features: table.width)
        let classes = detector.classes.map { result in
            var trigger: TriggerLocalization?
            if result.suspicious && !result.flagged.isEmpty {
                let flagged = Set(result.flagged)
                let rest = table.labels.indices.filter { table.labels[$0] == result.label && !flagged.contains($0) }
                trigger = TriggerLocalization(table: table, suspicious: result.flagged, rest: rest, imageShape: shape)
            }
            return PoisonScanReport.BackdoorClass(
                label: table.classes.names[result.label], rows: result.rows, smallCluster: result.smallCluster, silhouette: result.silhouette,
                separation: result.separation, spectralShare: result.spectralShare, suspicious: result.suspicious, flagged: result.flagged.count,
                trigger: trigger)
        }
        let how: String
        if case .onnx(let given) = model {
            how = "\(given.path), value '\(given.hiddenValue ?? "")' (input of the last layer, \(representation.width) values)"
        } else {
            how = "\(model) trained on all rows, last hidden layer (\(representation.width) units)"
        }
        return (PoisonScanReport.Backdoor(representation: how, width: representation.width, classes: classes), detector)
    }
}
