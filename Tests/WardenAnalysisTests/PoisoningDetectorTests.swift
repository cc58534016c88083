import Foundation
import Testing
import WardenCore
import WardenModels
import WardenTensor
import WardenTesting

@testable import WardenAnalysis

/// The building blocks of `warden data scan`, each on data where the answer is known.
struct PoisoningDetectorTests {
    @Test func softmaxRegressionSeparatesGaussianClasses() throws {
        let sample = PoisonPlanter(classes: 3, width: 4, separation: 3).clean(rows: 150, seed: 1)
        let x = try Tensor(shape: [sample.rows, sample.width], scalars: sample.features)
        let model = try SoftmaxRegression(x: x, labels: sample.labels, classes: 3)
        let p = try model.probabilities(x)
        var correct = 0
        for row in 0..<sample.rows {
            let probabilities = Array(p[(row * 3)..<(row * 3 + 3)])
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
            if probabilities.firstIndex(of: probabilities.max()!) == sample.labels[row] { correct += 1 }
        }
        #expect(Double(correct) / Double(sample.rows) > 0.95)
        #expect(throws: WardenError.self) { try SoftmaxRegression(x: x, labels: sample.labels, classes: 1) }
    }

    @Test func foldsAreStratifiedSeededAndChecked() throws {
        let labels = (0..<30).map { $0 % 3 }
        let a = try StratifiedKFold(labels: labels, folds: 5, seed: 7)
        #expect(a.fold == (try StratifiedKFold(labels: labels, folds: 5, seed: 7)).fold)
        #expect(a.fold != (try StratifiedKFold(labels: labels, folds: 5, seed: 8)).fold)
        for k in 0..<5 {
            let test = a.split(k).test
            #expect(test.count == 6)
            #expect(Set(test.map { labels[$0] }) == [0, 1, 2])
        }
        #expect(throws: WardenError.self) { try StratifiedKFold(labels: [0, 1, 0], folds: 5, seed: 0) }
        #expect(throws: WardenError.self) { try StratifiedKFold(labels: labels, folds: 1, seed: 0) }
    }

    /// Hand-worked: two classes, thresholds 0.75 and 0.7; row 3 is labelled 0 but confidently 1.
    @Test func confidentLearningOnKnownProbabilities() {
        let labels = [0, 0, 0, 0, 1, 1, 1, 1]
        let p0: [Float] = [0.9, 0.95, 0.9, 0.25, 0.2, 0.3, 0.1, 0.6]
        let probabilities = p0.flatMap { [$0, 1 - $0] }
        let result = ConfidentLearning(labels: labels, probabilities: probabilities, classes: 2)
        #expect(abs(result.thresholds[0] - 0.75) < 1e-6)
        #expect(abs(result.thresholds[1] - 0.7) < 1e-6)
        // Row 3 (label 0, p(1)=0.75 ≥ 0.7) is confidently 1; row 7 (label 1, p(0)=0.6 < 0.75) is confidently nothing.
        #expect(result.confidentJoint == [3, 1, 0, 4])
        #expect(result.isIssue == [false, false, false, true, false, false, false, false])
        #expect(result.predicted[7] == 0)  // doubtful but not confidently another class: kept
    }

    /// Thresholds from chosen rows: rows 5 and 6 (label 0, p(0) = 0.1) drag the class-0 threshold
    /// down to 0.557; from the other label-0 rows it is 0.74, so row 3 (p(0) = 0.7) is no longer
    /// confidently 0, the calibrated joint for label 0 goes from [5, 2] to [4, 3], and row 4
    /// (p(0) = 0.3, the next largest margin) becomes an issue too.
    @Test func confidentLearningThresholdsFromChosenRows() {
        let labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
        let p0: [Float] = [0.95, 0.9, 0.85, 0.7, 0.3, 0.1, 0.1, 0.1, 0.15, 0.2, 0.1]
        let probabilities = p0.flatMap { [$0, 1 - $0] }
        let all = ConfidentLearning(labels: labels, probabilities: probabilities, classes: 2)
        #expect(abs(all.thresholds[0] - 3.9 / 7) < 1e-6)
        #expect(all.confidentJoint == [5, 2, 0, 4])
        #expect(all.isIssue.indices.filter { all.isIssue[$0] } == [5, 6])
        let kept = (0..<11).map { $0 != 5 && $0 != 6 }
        let chosen = ConfidentLearning(labels: labels, probabilities: probabilities, classes: 2, thresholdRows: kept)
        #expect(abs(chosen.thresholds[0] - 0.74) < 1e-6)
        #expect(abs(chosen.thresholds[1] - all.thresholds[1]) < 1e-9)
        #expect(chosen.confidentJoint == [4, 3, 0, 4])
        #expect(chosen.isIssue.indices.filter { chosen.isIssue[$0] } == [4, 5, 6])
        // A class with no chosen row falls back to all its rows.
        let none = ConfidentLearning(labels: labels, probabilities: probabilities, classes: 2, thresholdRows: [Bool](repeating: false, count: 11))
        #expect(none.thresholds == all.thresholds)
    }

    /// Training only on chosen rows: every row is still predicted (out of sample), and rows whose
    /// labels were flipped get more of their true class once the flipped rows leave training.
    @Test func crossValidationCanLeaveRowsOutOfTraining() throws {
        let planter = PoisonPlanter(classes: 2, width: 3, separation: 1)
        let sample = planter.plant(.systematicFlips, fraction: 0.2, in: planter.clean(rows: 200, seed: 4), seed: 6)
        let table = try FeatureTable(LabeledDataset(
            features: Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: ClassLabels(names: ["a", "b"]), featureNames: ["x", "y", "z"], source: "planted"))
        let model = ProbabilityModel.logisticRegression(l2: ProbabilityModel.defaultL2)
        let all = try CrossValidatedProbabilities(table, model: model, folds: 5, seed: 1)
        let same = try CrossValidatedProbabilities(table, model: model, folds: 5, seed: 1, training: [Bool](repeating: true, count: sample.rows))
        #expect(all.probabilities == same.probabilities)
        let poisoned = Set(sample.poisoned)
        let clean = try CrossValidatedProbabilities(table, model: model, folds: 5, seed: 1, training: (0..<sample.rows).map { !poisoned.contains($0) })
        #expect(clean.probabilities.allSatisfy { $0.isFinite })
        func meanTrueClass(_ p: [Float]) -> Double { sample.poisoned.reduce(0.0) { $0 + Double(p[$1 * 2]) } / Double(poisoned.count) }
        #expect(meanTrueClass(clean.probabilities) > meanTrueClass(all.probabilities) + 0.05, "\(meanTrueClass(clean.probabilities)) vs \(meanTrueClass(all.probabilities))")
    }

    @Test func roundingKeepsTheTotal() {
        #expect(ConfidentLearning.roundPreservingTotal([0.4, 0.4, 1.2]) == [1, 0, 1])
        #expect(ConfidentLearning.roundPreservingTotal([2.5, 2.5]).reduce(0, +) == 5)
    }

    @Test func outlierDetectorsRankAPlantedPointFirst() throws {
        var sample = PoisonPlanter(classes: 2, width: 5).clean(rows: 200, seed: 3)
        // A point inside every feature's range but against the correlation structure of its class.
        sample = PoisonPlanter(classes: 2, width: 5).plant(.outliers, fraction: 0.01, in: sample, seed: 3)
        let n = sample.rows
        let table = try FeatureTable(LabeledDataset(
            features: Tensor(shape: [n, 5], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: ClassLabels(names: ["0", "1"]), featureNames: (0..<5).map { "f\($0)" }, source: "mem"))
        let mahalanobis = try RobustMahalanobis(values: table.standardized, rows: n, width: 5, columns: Array(0..<5))
        let forest = IsolationForest(values: table.standardized, rows: n, width: 5, seed: 1)
        let again = IsolationForest(values: table.standardized, rows: n, width: 5, seed: 1)
        #expect(forest.scores == again.scores)
        let clean = (0..<n).filter { !sample.poisoned.contains($0) }
        // On normal scores a value beyond the range counts as the largest rank, not by how far it
        // is (that is the robust z's job), so the planted rows rank high rather than off the scale.
        let cleanDistances = clean.map { mahalanobis.distances[$0] }.sorted()
        for planted in sample.poisoned {
            #expect(mahalanobis.distances[planted] > cleanDistances[Int(0.99 * Double(cleanDistances.count))])
            #expect(mahalanobis.distances[planted] > Distributions.chiSquareQuantile(0.99, dof: 5))
            #expect(forest.scores[planted] > 0.62)
        }
        #expect(clean.filter { forest.scores[$0] > 0.62 }.count <= 2)
        #expect(clean.filter { mahalanobis.distances[$0] > Distributions.chiSquareQuantile(0.9999, dof: 5) }.count <= 2)
    }

    @Test func robustZIgnoresColumnsWithoutScaleAndFindsExtremes() {
        // Column 0: 0…99; column 1: constant except one value (MAD 0).
        var values: [Float] = []
        for row in 0..<100 { values += [Float(row), row == 5 ? 1000 : 0] }
        values[2 * 50] = 1e6
        let z = RobustZScore(values: values, rows: 100, width: 2)
        #expect(z.column[5] == 0)
        #expect(z.scores[50] > 1e4)
        #expect(z.scores.enumerated().filter { $0.offset != 50 }.allSatisfy { $0.element < 2 })
    }

    @Test func distributionsMatchScipy() {
        // scipy.stats.norm.ppf(0.975), chi2.ppf(0.95, 1), chi2.ppf(0.5, 10), chi2.sf(30, 10).
        #expect(abs(Distributions.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(Distributions.normalQuantile(1e-10) + 6.361340902404056) < 1e-9)
        #expect(abs(Distributions.chiSquareQuantile(0.95, dof: 1) - 3.841458820694124) < 1e-9)
        #expect(abs(Distributions.chiSquareQuantile(0.5, dof: 10) - 9.341817765591966) < 1e-9)
        #expect(abs(Distributions.chiSquareSurvival(30, dof: 10) - 0.000856641210775301) < 1e-12)
    }

    @Test func nearestNeighboursAreExact() throws {
        let points: [Float] = [0, 0, 1, 0, 0, 2, 5, 5, 1.0001, 0]
        let knn = try NearestNeighbors(points: points, rows: 5, width: 2, k: 2, block: 2)
        #expect(Array(knn.neighbours(of: 1)) == [4, 0])
        #expect(abs(knn.distances[1 * 2] - 0.0001) < 1e-5)
        #expect(Array(knn.neighbours(of: 3)) == [2, 4])
        #expect(throws: WardenError.self) { try NearestNeighbors(points: points, rows: 5, width: 2, k: 5) }
        // Only candidate rows are neighbours; every row (a non-candidate too) gets its k nearest of them.
        let candidates = [true, false, true, true, false]
        let some = try NearestNeighbors(points: points, rows: 5, width: 2, k: 2, block: 2, candidates: candidates)
        #expect(Array(some.neighbours(of: 1)) == [0, 2])
        #expect(Array(some.neighbours(of: 4)) == [0, 2])
        #expect(Array(some.neighbours(of: 0)) == [2, 3])
        #expect(throws: WardenError.self) { try NearestNeighbors(points: points, rows: 5, width: 2, k: 3, candidates: candidates) }
        #expect(throws: WardenError.self) { try NearestNeighbors(points: points, rows: 5, width: 2, k: 2, candidates: [true]) }
    }
}
