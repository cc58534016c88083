import Foundation
import Testing
import WardenCore
import WardenModels
import WardenTensor
import WardenTesting

@testable import WardenAnalysis

/// `PoisonScanner` end to end on planted poison: what it must catch, and that clean data stays clean.
struct PoisoningScanTests {
    static let planter = PoisonPlanter(classes: 3, width: 6, separation: 3)

    static func table(_ sample: PoisonPlanter.Sample) throws -> FeatureTable {
        try FeatureTable(LabeledDataset(
            features: Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: ClassLabels(names: (0..<planter.classes).map(String.init)), featureNames: (0..<sample.width).map { "f\($0)" },
            source: "planted"))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var poison: PoisonPlanter.Poison
        var fraction: Double
        var minimumRecall: Double
        var minimumPrecision: Double
        var testDescription: String { "\(poison.rawValue) \(fraction)" }
    }

    @Test(arguments: [
        Case(poison: .randomFlips, fraction: 0.05, minimumRecall: 0.8, minimumPrecision: 0.8),
        Case(poison: .systematicFlips, fraction: 0.03, minimumRecall: 0.7, minimumPrecision: 0.8),
        Case(poison: .duplicates, fraction: 0.03, minimumRecall: 0.9, minimumPrecision: 0.8),
        Case(poison: .outliers, fraction: 0.02, minimumRecall: 1, minimumPrecision: 0.8),
    ])
    func catchesPlantedPoison(_ c: Case) throws {
        let sample = Self.planter.plant(c.poison, fraction: c.fraction, in: Self.planter.clean(rows: 300, seed: 11), seed: 5)
        let (report, _) = try PoisonScanner().scan(Self.table(sample))
        let flagged = Set(report.flaggedIndices), truth = Set(sample.poisoned)
        let hits = flagged.intersection(truth).count
        let recall = Double(hits) / Double(truth.count), precision = flagged.isEmpty ? 0 : Double(hits) / Double(flagged.count)
        #expect(recall >= c.minimumRecall, "recall \(recall), flagged \(flagged.sorted()), truth \(truth.sorted())")
        #expect(precision >= c.minimumPrecision, "precision \(precision), flagged \(flagged.sorted()), truth \(truth.sorted())")
        #expect(report.verdict == "suspicious")
    }

    @Test func cleanDataStaysClean() throws {
        for seed in [UInt64(1), 2, 3] {
            let (report, _) = try PoisonScanner().scan(Self.table(Self.planter.clean(rows: 300, seed: seed)))
            #expect(report.suspicious.count <= 2, "seed \(seed): \(report.suspicious.map(\.index)) \(report.suspicious.map(\.reasons))")
            #expect(report.isClean)
        }
    }

    /// Real tables are skewed and sparse (tumour areas, mostly-blank pixels): their tails must not
    /// read as outliers, while noise rows still do.
    @Test func skewedAndSparseColumnsAreNotOutliers() throws {
        var sample = Self.planter.clean(rows: 400, seed: 12)
        for row in 0..<sample.rows {
            let base = row * sample.width
            sample.features[base] = Float(exp(Double(sample.features[base])))  // log-normal, long right tail
            if sample.features[base + 1] < 2.5 { sample.features[base + 1] = 0 }  // mostly one value
            sample.features[base + 2] = sample.features[base + 2].rounded()  // discrete
        }
        var configuration = PoisonScanner.Configuration()
        configuration.backdoor = nil
        let clean = try PoisonScanner(configuration: configuration).scan(Self.table(sample)).report
        let outliers = clean.suspicious.filter { $0.reasons.contains(.outlier) }
        #expect(outliers.count <= 2, "\(outliers.map(\.index))")
        let noisy = Self.planter.plant(.outliers, fraction: 0.02, in: sample, seed: 13)
        let flagged = try PoisonScanner(configuration: configuration).scan(Self.table(noisy)).report.suspicious
        let caught = Set(flagged.filter { $0.reasons.contains(.outlier) }.map(\.index))
        #expect(caught.isSuperset(of: noisy.poisoned), "\(caught.sorted()) vs \(noisy.poisoned)")
    }

    /// Real rows drawn from a heavy-tailed population: one common factor times a log-normal scale
    /// per row (the large rows are large in every feature together, like breast-cancer's largest
    /// tumours), two classes offset by 1.
    static func heavyTailed(rows: Int, width: Int, tail: Double, seed: UInt64) -> PoisonPlanter.Sample {
        var generator = SeededRandomGenerator(seed: seed)
        var features: [Float] = []
        for row in 0..<rows {
            let scale = exp(tail * PoisonPlanter.normal(&generator)), factor = PoisonPlanter.normal(&generator)
            for _ in 0..<width { features.append(Float(scale * (factor + 0.6 * PoisonPlanter.normal(&generator)) + Double(row % 2))) }
        }
        return PoisonPlanter.Sample(features: features, labels: (0..<rows).map { $0 % 2 }, width: width, poisoned: [])
    }

    struct TailCase: Sendable, CustomTestStringConvertible {
        var tail: Double
        var width: Int
        var seed: UInt64
        var testDescription: String { "log-normal scale σ \(tail), \(width) features, seed \(seed)" }
    }

    /// The Mahalanobis vote's cut comes from the distances' own spread: on a heavy-tailed real
    /// population the far members of the tail pass the χ²(p) quantile (and the forest), so χ²(p)
    /// alone would call them outliers; the fitted c·χ²(ν) keeps at least half of them, and noise
    /// rows planted in the same table are still flagged, every one.
    @Test(arguments: [
        TailCase(tail: 0.5, width: 12, seed: 1), TailCase(tail: 0.6, width: 12, seed: 2), TailCase(tail: 0.5, width: 30, seed: 1),
    ])
    func heavyTailedRealRowsAreNotOutliersButNoiseIs(_ c: TailCase) throws {
        let planter = PoisonPlanter(classes: 2, width: c.width)
        let clean = Self.heavyTailed(rows: 500, width: c.width, tail: c.tail, seed: c.seed)
        let table = try FeatureTable(LabeledDataset(
            features: Tensor(shape: [clean.rows, clean.width], scalars: clean.features), labels: clean.labels.map(Int64.init),
            classes: ClassLabels(names: ["0", "1"]), featureNames: (0..<clean.width).map { "f\($0)" }, source: "heavy"))
        var configuration = PoisonScanner.Configuration()
        configuration.backdoor = nil
        let mahalanobis = try RobustMahalanobis(values: table.raw, rows: table.rows, width: table.width, columns: table.informativeColumns)
        let forest = IsolationForest(values: table.standardized, rows: table.rows, width: table.width, seed: configuration.seed)
        let chiSquare = Distributions.chiSquareQuantile(configuration.mahalanobisQuantile, dof: Double(mahalanobis.dimensions))
        let byChiSquare = (0..<table.rows).filter { mahalanobis.distances[$0] > chiSquare && forest.scores[$0] > configuration.isolationThreshold }
        #expect(!byChiSquare.isEmpty, "no real row passes the χ² cut and the forest: the case does not exercise the fitted cut")
        #expect(mahalanobis.referenceDegrees < Double(mahalanobis.dimensions) && mahalanobis.cut(configuration.mahalanobisQuantile) > chiSquare)
        let report = try PoisonScanner(configuration: configuration).scan(table).report
        let outliers = report.suspicious.filter { $0.reasons.contains(.outlier) }.map(\.index)
        // The fitted cut keeps most of the tail χ²(p) would flag; the farthest rows of a log-normal
        // tail can still pass it (one row each on the 12-feature cases). The direction test does not
        // keep those here: on one common factor plus independent noise their capped normal scores
        // point where few inliers do (it keeps breast-cancer's tumours, docs/BENCHMARKS.md).
        let (_, scores) = try PoisonScanner(configuration: configuration).scan(table)
        let agreed = (0..<table.rows).filter { scores.directionSupport[$0] != nil }
        #expect(Set(agreed).isSubset(of: byChiSquare), "fitted cut: \(agreed) vs χ² alone: \(byChiSquare)")
        #expect(outliers.count * 2 <= byChiSquare.count && outliers.count < byChiSquare.count,
                "real rows flagged as outliers: \(outliers), forest and fitted cut: \(agreed), χ² alone: \(byChiSquare)")

        let noisy = planter.plant(.outliers, fraction: 0.02, in: clean, seed: c.seed)
        let caught = Set(try PoisonScanner(configuration: configuration).scan(Self.table(noisy)).report.suspicious
            .filter { $0.reasons.contains(.outlier) }.map(\.index))
        #expect(caught.isSuperset(of: noisy.poisoned), "\(caught.sorted()) vs \(noisy.poisoned)")
    }

    /// Direction support: the mean of the k largest cosines with the reference directions.
    @Test func directionSupportIsTheMeanOfTheClosestCosines() {
        // Reference: five unit vectors near +x, five near +y (3-D).
        var directions: [Float] = []
        for i in 0..<5 {
            let e = Float(i) * 0.05
            let a = (1 + e * e).squareRoot(), b = (1 + e * e).squareRoot()
            directions += [1 / a, e / a, 0]
            directions += [e / b, 1 / b, 0]
        }
        let reference = Array(0..<10)
        let alongX = RobustMahalanobis.support([1, 0, 0], directions: directions, reference: reference, dimensions: 3, k: 5)
        let alongZ = RobustMahalanobis.support([0, 0, 1], directions: directions, reference: reference, dimensions: 3, k: 5)
        var expected = 0.0
        for i in 0..<5 {
            let e = Float(i) * 0.05
            expected += Double(1 / (1 + e * e).squareRoot()) / 5
        }
        #expect(abs(alongX - expected) < 1e-5, "\(alongX) vs \(expected)")
        #expect(abs(alongZ) < 1e-6)
        #expect(RobustMahalanobis.support([1, 0, 0], directions: directions, reference: [], dimensions: 3, k: 5) == -1)
    }

    /// On Gaussian data the distances spread like χ²(p): the fitted reference is about χ²(p) itself.
    @Test func gaussianDistancesKeepTheChiSquareCut() throws {
        var generator = SeededRandomGenerator(seed: 21)
        let values = (0..<(600 * 6)).map { _ in Float(PoisonPlanter.normal(&generator)) }
        let m = try RobustMahalanobis(values: values, rows: 600, width: 6, columns: Array(0..<6))
        let chiSquare = Distributions.chiSquareQuantile(0.9999, dof: 6)
        #expect(m.cut(0.9999) >= chiSquare)
        #expect(m.cut(0.9999) < 1.1 * chiSquare, "ν \(m.referenceDegrees) c \(m.referenceScale)")
    }

    /// The quartile fit recovers c and ν from an exact c·χ²(ν) sample (its quantiles at (i + ½)/N),
    /// and keeps (p, ·) for a sample less spread than χ²(p).
    @Test(arguments: [(8.0, 2.0, 20), (25.0, 2.5, 61), (3.0, 9.0, 12)])
    func quartileFitRecoversAScaledChiSquare(_ nu: Double, _ scale: Double, _ p: Int) {
        let sample = (0..<2000).map { scale * Distributions.chiSquareQuantile((Double($0) + 0.5) / 2000, dof: nu) }
        let fit = RobustMahalanobis.quartileFit(sample, dimensions: p)
        #expect(abs(fit.degrees - nu) < 0.05 * nu, "ν \(fit.degrees)")
        #expect(abs(fit.scale - scale) < 0.05 * scale, "c \(fit.scale)")
        let tight = (0..<2000).map { Distributions.chiSquareQuantile((Double($0) + 0.5) / 2000, dof: Double(4 * p)) }
        #expect(RobustMahalanobis.quartileFit(tight, dimensions: p).degrees == Double(p))
    }

    @Test func sameSeedSameReport() throws {
        let sample = Self.planter.plant(.randomFlips, fraction: 0.05, in: Self.planter.clean(rows: 120, seed: 4), seed: 4)
        let a = try PoisonScanner().scan(Self.table(sample)).report
        let b = try PoisonScanner().scan(Self.table(sample)).report
        #expect(a == b)
    }

    /// Heavy systematic flips (40 % of one class into another) pull the first fit, the neighbour
    /// vote and the thresholds towards the flipped labels; refitting on the rows the first pass did
    /// not flag finds more of them, with precision kept.
    @Test func refitFindsMoreOfHeavySystematicFlips() throws {
        let planter = PoisonPlanter(classes: 3, width: 6, separation: 1.2)
        var hits = [0, 0], flagged = [0, 0], planted = 0
        for seed in [UInt64(21), 22, 23] {
            let sample = planter.plant(.systematicFlips, fraction: 0.13, in: planter.clean(rows: 300, seed: seed), seed: seed + 100)
            let table = try FeatureTable(LabeledDataset(
                features: Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
                classes: ClassLabels(names: ["a", "b", "c"]), featureNames: (0..<sample.width).map { "f\($0)" }, source: "planted"))
            planted += sample.poisoned.count
            for rounds in [0, 1] {
                var configuration = PoisonScanner.Configuration(refitRounds: rounds)
                configuration.backdoor = nil
                let (report, _) = try PoisonScanner(configuration: configuration).scan(table)
                hits[rounds] += Set(report.flaggedIndices).intersection(sample.poisoned).count
                flagged[rounds] += report.flaggedIndices.count
                #expect(report.detectors[0].note?.contains("refitted") == (rounds == 1))
            }
        }
        #expect(hits[1] > hits[0], "hits \(hits) of \(planted), flagged \(flagged)")
        #expect(Double(hits[1]) / Double(flagged[1]) >= Double(hits[0]) / Double(flagged[0]) - 0.02, "hits \(hits), flagged \(flagged)")
    }

    @Test func mlpProbabilitiesAlsoFindFlips() throws {
        let sample = Self.planter.plant(.randomFlips, fraction: 0.05, in: Self.planter.clean(rows: 150, seed: 8), seed: 9)
        var configuration = PoisonScanner.Configuration()
        configuration.model = try ProbabilityModel(parsing: "mlp:16", epochs: 15)
        let (report, _) = try PoisonScanner(configuration: configuration).scan(Self.table(sample))
        let hits = Set(report.flaggedIndices).intersection(sample.poisoned).count
        #expect(Double(hits) >= 0.6 * Double(sample.poisoned.count), "\(report.flaggedIndices) vs \(sample.poisoned)")
        #expect(report.model == "mlp:16")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var id: String
        var csv: String
        var testDescription: String { id }
    }

    @Test(arguments: [
        BadInput(id: "ragged", csv: "a,b,label\n1,2,0\n3,1\n"),
        BadInput(id: "nan", csv: "a,b,label\n1,2,0\nnan,1,1\n"),
        BadInput(id: "text feature", csv: "a,b,label\n1,x,0\n2,1,1\n"),
        BadInput(id: "empty label", csv: "a,b,label\n1,2,0\n2,1,\n"),
        BadInput(id: "missing label column", csv: "a,b,c\n1,2,0\n2,1,1\n"),
        BadInput(id: "header only", csv: "a,b,label\n"),
        BadInput(id: "empty", csv: ""),
        BadInput(id: "single class", csv: "a,label\n" + (0..<20).map { "\($0),x\n" }.joined()),
        BadInput(id: "tiny", csv: "a,label\n1,0\n2,1\n3,0\n"),
        BadInput(id: "class with one row", csv: "a,label\n" + (0..<20).map { "\($0),\($0 == 3 ? 1 : 0)\n" }.joined()),
        BadInput(id: "fewer rows of a class than folds", csv: "a,label\n" + (0..<12).map { "\($0),\($0 % 4 == 0 ? 1 : 0)\n" }.joined()),
    ])
    func hostileInputIsAClearError(_ input: BadInput) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("d.csv", input.csv)
        do {
            _ = try PoisonScanner().scan(FeatureTable(LabeledDataset(csv: path, label: "label")))
            if input.id == "fewer rows of a class than folds" { return }  // 3 rows of class 1 in 5 folds: still runs
            Issue.record("no error for \(input.id)")
        } catch let error as WardenError {
            #expect(error.code == .invalidInput, "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func constantColumnsAreListedAndIgnored() throws {
        var sample = Self.planter.clean(rows: 90, seed: 2)
        for row in 0..<sample.rows { sample.features[row * sample.width + 2] = 7 }
        let (report, _) = try PoisonScanner().scan(Self.table(sample))
        #expect(report.constantColumns == ["f2"])
        #expect(report.suspicious.count <= 1)
    }
}
