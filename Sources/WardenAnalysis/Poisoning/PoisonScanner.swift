import Foundation
import WardenCore
import WardenModels
import WardenTensor

/// Runs every poisoning detector over a labelled table in one pass and combines them into a
/// ``PoisonScanReport``. The thresholds are calibrated on clean data (docs/BENCHMARKS.md) so a
/// clean dataset yields (almost) no flags.
public struct PoisonScanner: Sendable {
    public struct Configuration: Sendable {
        public var model: ProbabilityModel
        public var folds: Int
        public var seed: UInt64
        public var neighbours: Int
        /// The weight of the neighbours' (leave-one-out, smoothed) label frequencies in the
        /// probabilities confident learning ranks; the rest is the cross-validated model's.
        public var neighbourWeight: Double
        /// How many times confident learning is refitted on the rows it did not flag: the model
        /// cross-validated again with the flagged rows left out of training (every row still
        /// predicted out of sample), the neighbour vote taken among unflagged rows only, the
        /// per-class thresholds averaged over unflagged rows, then every row ranked again. Flipped
        /// labels bias the first fit towards themselves; 0 is cleanlab's single pass.
        public var refitRounds: Int
        /// The robust z-score that votes "outlier" with the Isolation Forest when the Mahalanobis
        /// distance is not available (too many features or too few rows).
        public var robustZThreshold: Double
        /// The robust z-score beyond which one value alone makes a row an outlier (a typo, a glitch).
        public var extremeZ: Double
        /// The quantile beyond which the normal-score Mahalanobis distance votes "outlier": of the
        /// `c·χ²(ν)` fitted to the distances' quartiles, or of χ²(p) when that is larger
        /// (``RobustMahalanobis/cut(_:)``).
        public var mahalanobisQuantile: Double
        /// The Isolation Forest score that votes "outlier"; a row is an outlier when both votes agree.
        public var isolationThreshold: Double
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
        /// How many of the most similar inlier directions a forest-and-Mahalanobis row's direction
        /// is compared with (``RobustMahalanobis/directionSupport(of:reference:k:)``).
        public var directionNeighbours: Int
        /// A forest-and-Mahalanobis row stays an outlier unless its direction support reaches both
        /// the inliers' quantile `q` and the `1 − q` quantile of random directions' (then it is a
        /// real extreme row, an ordinary direction far out, and is kept).
        public var directionQuantile: Double
        /// At most this many inliers (a seeded sample) serve as the direction reference.
        public var directionReference: Int
        /// How many seeded random directions measure what a direction unrelated to the data gets.
        public var directionProbes: Int

        public init(
            model: ProbabilityModel = .logisticRegression(l2: ProbabilityModel.defaultL2), folds: Int = 5, seed: UInt64 = 0,
            neighbours: Int = 10, neighbourWeight: Double = 0.5, refitRounds: Int = 1, robustZThreshold: Double = 8, extremeZ: Double = 100,
            mahalanobisQuantile: Double = 0.9999, isolationThreshold: Double = 0.62, nearDuplicateDistance: Double = 1e-3,
            maxFlaggedFraction: Double = 0.01,
            backdoor: BackdoorDetector.Configuration? = BackdoorDetector.Configuration(), representationModel: ProbabilityModel? = nil,
            imageShape: [Int]? = nil, directionNeighbours: Int = 5, directionQuantile: Double = 0.01, directionReference: Int = 2000,
            directionProbes: Int = 400
        ) {
            self.model = model
            self.folds = folds
            self.seed = seed
            self.neighbours = neighbours
            self.neighbourWeight = neighbourWeight
            self.refitRounds = refitRounds
            self.robustZThreshold = robustZThreshold
            self.extremeZ = extremeZ
            self.mahalanobisQuantile = mahalanobisQuantile
            self.isolationThreshold = isolationThreshold
            self.nearDuplicateDistance = nearDuplicateDistance
            self.maxFlaggedFraction = maxFlaggedFraction
            self.backdoor = backdoor
            self.representationModel = representationModel
            self.imageShape = imageShape
            self.directionNeighbours = directionNeighbours
            self.directionQuantile = directionQuantile
            self.directionReference = directionReference
            self.directionProbes = directionProbes
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
        /// The direction support of each row the forest and the Mahalanobis distance agree on
        /// (`nil` for the others).
        public var directionSupport: [Double?]
        public var reasons: [[PoisonScanReport.Reason]]

        /// Every row's scores as CSV (a header row, then one line per data row), for calibrating
        /// thresholds on one's own clean data.
        public func csv(labels: [Int], classes: [String]) -> String {
            var lines = ["row,label,predicted,self_confidence,knn_disagreement,confident_learning,robust_z,mahalanobis,isolation,spectral,direction_support,reasons"]
            for row in labels.indices {
                let fields: [String] = [
                    String(row), classes[labels[row]], classes[predicted[row]], String(format: "%.6g", selfConfidence[row]),
                    String(format: "%.6g", neighbourDisagreement[row]), confidentLearning[row] ? "1" : "0", String(format: "%.6g", robustZ[row]),
                    mahalanobis.map { String(format: "%.6g", $0[row]) } ?? "", String(format: "%.6g", isolation[row]),
                    spectral[row].map { String(format: "%.6g", $0) } ?? "", directionSupport[row].map { String(format: "%.6g", $0) } ?? "",
                    reasons[row].map(\.rawValue).joined(separator: ";"),
                ]
                lines.append(fields.map { field in
                    field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
                }.joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }
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
        let rounds = Swift.max(0, c.refitRounds)
        let total = c.folds * (1 + rounds) + 4
        progress(Progress(step: "cross-validation", done: 0, total: total))
        let cv = try CrossValidatedProbabilities(table, model: c.model, folds: c.folds, seed: c.seed) { fold in
            progress(Progress(step: "cross-validation", done: fold, total: total))
        }
        let k = Swift.min(c.neighbours, n - 1)
        let neighbours = try NearestNeighbors(points: table.standardized, rows: n, width: table.width, k: k)
        let disagreement = (0..<n).map { row in
            Double(neighbours.neighbours(of: row).filter { table.labels[$0] != table.labels[row] }.count) / Double(k)
        }
        // Confident learning ranks an ensemble: the cross-validated model's probabilities averaged
        // with the neighbours' label frequencies (each row's own label excluded, smoothed). The two
        // err differently (a linear boundary against local density), so together they find more
        // flips with fewer false ones than either (docs/BENCHMARKS.md).
        let classCount = table.classes.count
        func mixed(_ probabilities: [Float], _ neighbours: NearestNeighbors) -> [Float] {
            var ensemble = probabilities
            for row in 0..<n {
                var frequencies = [Double](repeating: 0.1, count: classCount)
                for other in neighbours.neighbours(of: row) { frequencies[table.labels[other]] += 1 }
                let sum = Double(k) + 0.1 * Double(classCount)
                for cls in 0..<classCount {
                    let model = Double(probabilities[row * classCount + cls])
                    ensemble[row * classCount + cls] = Float((1 - c.neighbourWeight) * model + c.neighbourWeight * frequencies[cls] / sum)
                }
            }
            return ensemble
        }
        let ensemble = mixed(cv.probabilities, neighbours)
        var learning = ConfidentLearning(labels: table.labels, probabilities: ensemble, classes: classCount)
        // Refit on the rows confident learning did not flag: the flipped rows pulled the first
        // model, the neighbour vote and the per-class thresholds towards their wrong labels.
        var refits = 0
        for round in 0..<rounds {
            let kept = learning.isIssue.map { !$0 }
            guard kept.contains(false), let keptNeighbours = try? NearestNeighbors(
                points: table.standardized, rows: n, width: table.width, k: k, candidates: kept) else { break }
            let refit: [Float]
            if case .onnx = c.model {
                refit = cv.probabilities  // a given model is not retrained
            } else {
                refit = try CrossValidatedProbabilities(table, model: c.model, folds: c.folds, seed: c.seed, training: kept) { fold in
                    progress(Progress(step: "refit", done: c.folds * (1 + round) + fold, total: total))
                }.probabilities
            }
            learning = ConfidentLearning(
                labels: table.labels, probabilities: mixed(refit, keptNeighbours), classes: classCount, thresholdRows: kept)
            refits += 1
        }
        let base = c.folds * (1 + rounds)
        progress(Progress(step: "neighbours", done: base + 1, total: total))
        let duplicates = DuplicateLabelConflicts(
            table: table, neighbours: neighbours, nearDistance: Float(c.nearDuplicateDistance * Double(table.width).squareRoot())
        ) { rows in
            // The class with the highest mean out-of-sample probability over the group.
            let k = table.classes.count
            let means = (0..<k).map { c in rows.reduce(0.0) { $0 + Double(ensemble[$1 * k + c]) } }
            return means.firstIndex(of: means.max()!)
        }

        let informative = table.informativeColumns
        let robustZ = RobustZScore(values: table.raw, rows: n, width: table.width)
        var mahalanobisNote: String?
        var mahalanobis: RobustMahalanobis?
        if informative.count <= 512 {
            mahalanobis = try? RobustMahalanobis(values: table.raw, rows: n, width: table.width, columns: informative)
            if mahalanobis == nil { mahalanobisNote = "skipped: too few rows for \(informative.count) features" }
        } else {
            mahalanobisNote = "skipped: more than 512 features"
        }
        // The cut comes from the distances' own spread (a c·χ²(ν) fitted to their quartiles), never
        // below χ²(p)'s: real tables are over-dispersed, so χ²(p) alone calls their tails outliers.
        let mahalanobisCut = mahalanobis.map { $0.cut(c.mahalanobisQuantile) }
        let forest = IsolationForest(values: table.standardized, rows: n, width: table.width, seed: c.seed)
        progress(Progress(step: "outliers", done: base + 2, total: total))

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
        progress(Progress(step: "backdoors", done: base + 3, total: total))
        var counts: [String: Int] = [:]
        // The Isolation Forest and the Mahalanobis distance must agree (each alone fires on the tails
        // of real, skewed or discrete tables); a value far beyond any plausible scale (a typo, a
        // sensor glitch) is enough alone.
        let agreed = (0..<n).map { row in
            forest.scores[row] > c.isolationThreshold
                && (mahalanobis.map { $0.distances[row] > mahalanobisCut! } ?? (robustZ.scores[row] > c.robustZThreshold))
        }
        // Far is half of a row's position; the other half is its direction from the centre. A real
        // extreme row of a heavy-tailed population (breast-cancer's largest tumours) is an ordinary
        // direction at an extraordinary distance: its direction is as well supported by the inliers'
        // as theirs are by each other. Uniform noise points where no data lie. A row both votes agree
        // on stays an outlier only when its direction support is below the inliers' low quantile.
        var support = [Double?](repeating: nil, count: n)
        var supportFloor: Double?
        if let m = mahalanobis, agreed.contains(true) {
            var inliers = (0..<n).filter { !agreed[$0] }
            if inliers.count > c.directionReference {
                var generator = SeededRandomGenerator(seed: c.seed ^ 0xD1_5EC7)
                for i in 0..<c.directionReference { inliers.swapAt(i, i + Int(generator.next() % UInt64(inliers.count - i))) }
                inliers = Array(inliers.prefix(c.directionReference)).sorted()
            }
            if inliers.count > c.directionNeighbours {
                func quantile(_ values: [Double], _ q: Double) -> Double {
                    let sorted = values.sorted(), position = q * Double(sorted.count - 1)
                    let low = Int(position.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
                    return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
                }
                let own = m.directionSupport(of: inliers, reference: inliers, k: c.directionNeighbours)
                // What a direction unrelated to the data gets: uniformly random unit vectors (seeded).
                // In few dimensions the inliers cover the sphere and any direction is supported, so
                // the test cannot tell a foreign row; the row must beat these too.
                var generator = SeededRandomGenerator(seed: c.seed ^ 0xD1_2EC7)
                let p = m.dimensions
                var probes = [Float](repeating: 0, count: c.directionProbes * p)
                for probe in 0..<c.directionProbes {
                    var norm = 0.0
                    for a in 0..<p {
                        let value = PoisonPlanter.normal(&generator)
                        probes[probe * p + a] = Float(value)
                        norm += value * value
                    }
                    for a in 0..<p { probes[probe * p + a] /= Float(norm.squareRoot()) }
                }
                let random = RobustMahalanobis.directionSupport(
                    of: probes, count: c.directionProbes, directions: m.directions, reference: inliers, dimensions: p, k: c.directionNeighbours)
                supportFloor = Swift.max(quantile(own, c.directionQuantile), quantile(random, 1 - c.directionQuantile))
                let candidates = (0..<n).filter { agreed[$0] }
                for (row, value) in zip(candidates, m.directionSupport(of: candidates, reference: inliers, k: c.directionNeighbours)) {
                    support[row] = value
                }
            }
        }
        for row in 0..<n {
            if learning.isIssue[row] { reasons[row].append(.labelIssue) }
            if duplicates.group[row] != nil { reasons[row].append(.duplicateConflict) }
            if robustZ.scores[row] > c.robustZThreshold { counts["robust_z", default: 0] += 1 }
            if mahalanobis.map({ $0.distances[row] > mahalanobisCut! }) == true { counts["mahalanobis", default: 0] += 1 }
            if forest.scores[row] > c.isolationThreshold { counts["isolation_forest", default: 0] += 1 }
            let supported = agreed[row] && supportFloor.map { support[row]! >= $0 } == true
            if supported { counts["supported", default: 0] += 1 }
            if (agreed[row] && !supported) || robustZ.scores[row] > c.extremeZ {
                reasons[row].append(.outlier)
            }
            if learning.isIssue[row] { counts["confident_learning", default: 0] += 1 }
            if disagreement[row] >= 0.5 { counts["knn", default: 0] += 1 }
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
                threshold: "per-class mean self-confidence, prune by noise rate",
                note: "\(c.folds)-fold \(c.model) (accuracy \(String(format: "%.3f", cv.accuracy))) averaged \(String(format: "%.2g", 1 - c.neighbourWeight))/\(String(format: "%.2g", c.neighbourWeight)) with \(k)-NN label frequencies" + (refits > 0 ? ", refitted \(refits)× on the unflagged rows" : "")),
            .init(name: "knn", flagged: counts["knn", default: 0], threshold: "most of \(k) neighbours disagree (informs confident learning)", note: nil),
            .init(name: "duplicates", flagged: duplicates.group.count, threshold: "exact, or distance ≤ \(c.nearDuplicateDistance)·√F", note: nil),
            .init(name: "robust_z", flagged: counts["robust_z", default: 0], threshold: "max |z| > \(c.robustZThreshold) (alone: > \(c.extremeZ))", note: nil),
            .init(
                name: "mahalanobis", flagged: counts["mahalanobis", default: 0],
                threshold: mahalanobis.map { m in
                    String(format: "normal scores, d² > %.1f (quantile %g of %.2f·χ²(%.1f) fitted to the quartiles; χ²(%d): %.1f)", mahalanobisCut!,
                           c.mahalanobisQuantile, m.referenceScale, m.referenceDegrees, m.dimensions,
                           Distributions.chiSquareQuantile(c.mahalanobisQuantile, dof: Double(m.dimensions)))
                } ?? "-", note: mahalanobisNote),
            .init(
                name: "isolation_forest", flagged: counts["isolation_forest", default: 0],
                threshold: "score > \(c.isolationThreshold); outlier when it and \(mahalanobis == nil ? "robust_z" : "mahalanobis") agree"
                    + (mahalanobis == nil ? "" : " unless the row's direction is as supported as the inliers' (quantile \(c.directionQuantile)) and better than random directions' (quantile \(1 - c.directionQuantile))"),
                note: supportFloor.map {
                    "\(counts["supported", default: 0]) agreed rows kept: their direction is as supported as the inliers' and better than random directions' (mean cosine of the \(c.directionNeighbours) most similar inlier directions ≥ \(String(format: "%.3f", $0)))"
                }),
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
            spectral: spectral, directionSupport: support, reasons: reasons)
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
