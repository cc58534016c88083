import Foundation
import Testing
import WardenCore
import WardenModels
import WardenTensor
import WardenTesting

@testable import WardenAnalysis

/// Backdoor detection (activation clustering + spectral signatures on a trained MLP's hidden layer)
/// and trigger localisation on planted pixel-patch backdoors; clean data must stay unflagged.
struct PoisoningBackdoorTests {
    /// 1×6×6 "images": Gaussian classes over 36 features, the trigger a 2×2 patch at the bottom right.
    static let patch = PoisonPlanter.patch(top: 4, left: 4, size: 2, imageWidth: 6)
    static let planter = PoisonPlanter(classes: 4, width: 36, separation: 1, triggerFeatures: patch)

    static func table(_ sample: PoisonPlanter.Sample) throws -> FeatureTable {
        try FeatureTable(LabeledDataset(
            features: Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: ClassLabels(names: (0..<planter.classes).map { "c\($0)" }), featureNames: (0..<sample.width).map { "px\($0)" },
            source: "planted"))
    }

    @Test(arguments: [UInt64(3), 4])
    func findsPlantedPatchBackdoorAndLocalisesTheTrigger(seed: UInt64) throws {
        let sample = Self.planter.plant(.backdoor, fraction: 0.05, in: Self.planter.clean(rows: 400, seed: seed), seed: seed)
        var configuration = PoisonScanner.Configuration()
        configuration.seed = seed
        let (report, scores) = try PoisonScanner(configuration: configuration).scan(Self.table(sample))
        let backdoor = Set(report.suspicious.filter { $0.reasons.contains(.backdoor) }.map(\.index))
        let truth = Set(sample.poisoned)
        let hits = backdoor.intersection(truth).count
        #expect(Double(hits) >= 0.8 * Double(truth.count), "recall: \(hits) of \(truth.count); flagged \(backdoor.sorted())")
        #expect(Double(hits) >= 0.9 * Double(backdoor.count), "precision: \(hits) of \(backdoor.count)")
        let summary = try #require(report.backdoor)
        #expect(summary.width == 64)
        let suspicious = summary.classes.filter(\.suspicious)
        #expect(suspicious.map(\.label) == ["c3"], "\(summary.classes)")
        let trigger = try #require(suspicious.first?.trigger)
        #expect(trigger.imageShape == [1, 6, 6])
        #expect(Set(trigger.topFeatures.prefix(4).map(\.index)) == Set(Self.patch), "\(trigger.topFeatures)")
        let box = try #require(trigger.box)
        #expect(box == TriggerLocalization.Box(top: 4, left: 4, bottom: 5, right: 5), "\(box)")
        #expect(trigger.heatmap?.count == 36)
        // The spectral score is reported on the flagged rows and is larger there than elsewhere in the class.
        let target = sample.labels.indices.filter { sample.labels[$0] == 3 }
        let clean = target.filter { !truth.contains($0) }.compactMap { scores.spectral[$0] }
        let poisoned = target.filter { truth.contains($0) }.compactMap { scores.spectral[$0] }
        let poisonedMean: Double = poisoned.reduce(0, +) / Double(poisoned.count)
        let cleanMean: Double = clean.reduce(0, +) / Double(clean.count)
        #expect(poisonedMean > 4 * cleanMean)
        #expect(report.suspicious.filter { $0.reasons.contains(.backdoor) }.allSatisfy { $0.spectral != nil })
        #expect(report.detectors.contains { $0.name == "activation_clustering" && $0.flagged > 0 })
    }

    @Test func cleanImagesGiveNoBackdoorFlags() throws {
        for seed in [UInt64(1), 2, 5] {
            let (report, _) = try PoisonScanner().scan(Self.table(Self.planter.clean(rows: 400, seed: seed)))
            let flagged = report.suspicious.filter { $0.reasons.contains(.backdoor) }
            #expect(flagged.isEmpty, "seed \(seed): \(flagged.map(\.index)) \(report.backdoor?.classes ?? [])")
            #expect(report.backdoor?.classes.count == 4)
        }
    }

    @Test func backdoorsCanBeSkipped() throws {
        var configuration = PoisonScanner.Configuration()
        configuration.backdoor = nil
        let (report, _) = try PoisonScanner(configuration: configuration).scan(Self.table(Self.planter.clean(rows: 120, seed: 1)))
        #expect(report.backdoor == nil)
        #expect(!report.detectors.contains { $0.name == "activation_clustering" })
    }

    @Test func twoMeansSeparatesASmallBlobButNotOneBlob() {
        var generator = SeededRandomGenerator(seed: 9)
        func gaussian() -> Double { PoisonPlanter.normal(&generator) }
        var blob: [Double] = []
        for _ in 0..<300 { blob += [gaussian(), gaussian(), gaussian()] }
        let one = TwoMeansClustering(points: blob, count: 300, dimensions: 3, seed: 1)
        #expect(one.separation < 4, "\(one.separation)")
        #expect(one.silhouette < 0.45, "\(one.silhouette)")
        var two = blob
        for _ in 0..<30 { two += [gaussian() + 12, gaussian(), gaussian()] }
        let split = TwoMeansClustering(points: two, count: 330, dimensions: 3, seed: 1)
        #expect(split.sizes == [300, 30])
        #expect(split.assignment.suffix(30).allSatisfy { $0 == 1 })
        #expect(split.separation > 8)
        #expect(split.silhouette > 0.6)
    }

    @Test func principalComponentsFindTheLongAxis() {
        var generator = SeededRandomGenerator(seed: 2)
        var values: [Float] = []
        for _ in 0..<500 {
            let t = PoisonPlanter.normal(&generator) * 5, e = PoisonPlanter.normal(&generator) * 0.5
            values += [Float(t + e), Float(t - e), Float(PoisonPlanter.normal(&generator) * 0.1)]
        }
        let pca = PrincipalComponents(values: values, width: 3, rows: Array(0..<500), count: 2)
        let axis = pca.directions[0]
        let diagonal: Double = 0.5.squareRoot()
        let errors = [abs(abs(axis[0]) - diagonal), abs(abs(axis[1]) - diagonal)]
        #expect(errors.allSatisfy { $0 < 0.01 }, "\(axis)")
        #expect(pca.variances[0] > 40 && pca.variances[1] < 1, "\(pca.variances)")
    }

    @Test(arguments: [
        ("1x8x8", 64, [1, 8, 8] as [Int]?), ("3x4x4", 48, [3, 4, 4]), (nil, 64, [1, 8, 8]), (nil, 784, [1, 28, 28]),
        (nil, 30, nil), (nil, 9, nil),
    ] as [(String?, Int, [Int]?)])
    func imageShapes(text: String?, features: Int, shape: [Int]?) throws {
        #expect(try TriggerLocalization.imageShape(text, features: features) == shape)
    }

    @Test(arguments: ["8x8", "1x8x9", "0x8x8", "1x-8x8", "axbxc", "", "99999999999x99999999999x99999999999", "1x8x8x1"])
    func badImageShapesAreClearErrors(text: String) {
        #expect(throws: WardenError.self) { try TriggerLocalization.imageShape(text, features: 64) }
    }
}

/// `--model MODEL.onnx`: a given ONNX classifier's probabilities and last hidden activation.
struct PoisoningONNXModelTests {
    static let planter = PoisonPlanter(classes: 3, width: 6, separation: 3)

    static func exported(_ spec: String, trainedOn sample: PoisonPlanter.Sample, in folder: TemporaryDirectory) throws -> String {
        let table = try PoisoningScanTests.table(sample)
        let dataset = try LabeledDataset(
            features: Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: table.classes, featureNames: table.featureNames, source: "clean")
        let trainer = try Trainer(
            spec: ModelSpec(parsing: spec), features: sample.width, classes: table.classes, featureNames: table.featureNames,
            configuration: Trainer.Configuration(epochs: 40, learningRate: 1e-2, seed: 1))
        _ = try trainer.train(on: dataset)
        return try folder.write("\(spec.replacingOccurrences(of: ":", with: "-")).onnx", trainer.exportONNX(label: "label"))
    }

    @Test func givenONNXModelFindsFlipsAndGivesRepresentations() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let clean = Self.planter.clean(rows: 300, seed: 11)
        let path = try Self.exported("mlp:16", trainedOn: clean, in: folder)
        let model = try ONNXScanModel(path: path)
        #expect(model.hiddenValue != nil)
        let sample = Self.planter.plant(.randomFlips, fraction: 0.05, in: clean, seed: 5)
        var configuration = PoisonScanner.Configuration()
        configuration.model = try ProbabilityModel(parsing: path)
        let (report, _) = try PoisonScanner(configuration: configuration).scan(PoisoningScanTests.table(sample))
        let hits = Set(report.flaggedIndices).intersection(sample.poisoned).count
        #expect(Double(hits) >= 0.8 * Double(sample.poisoned.count), "\(report.flaggedIndices) vs \(sample.poisoned)")
        #expect(Double(hits) >= 0.8 * Double(report.flaggedIndices.count))
        #expect(report.model.hasSuffix("(given ONNX model, not cross-validated)"))
        let representation = try #require(report.backdoor?.representation)
        #expect(representation.contains("value '\(model.hiddenValue!)'") && report.backdoor?.width == 16, "\(representation)")
    }

    @Test func linearONNXModelHasNoHiddenLayerAndAWrongWidthIsAClearError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let clean = Self.planter.clean(rows: 120, seed: 2)
        let path = try Self.exported("mlp:", trainedOn: clean, in: folder)
        #expect(try ONNXScanModel(path: path).hiddenValue == nil)
        var configuration = PoisonScanner.Configuration()
        configuration.model = try ProbabilityModel(parsing: path)
        let (report, _) = try PoisonScanner(configuration: configuration).scan(PoisoningScanTests.table(clean))
        #expect(report.backdoor?.representation.hasPrefix("mlp:64 trained on all rows") == true, "falls back to a trained MLP")
        let narrow = PoisonPlanter(classes: 3, width: 4).clean(rows: 60, seed: 1)
        let table = try FeatureTable(LabeledDataset(
            features: Tensor(shape: [narrow.rows, 4], scalars: narrow.features), labels: narrow.labels.map(Int64.init),
            classes: ClassLabels(names: ["0", "1", "2"]), featureNames: (0..<4).map { "f\($0)" }, source: "narrow"))
        #expect(throws: WardenError.self) { try PoisonScanner(configuration: configuration).scan(table) }
        _ = try folder.write("junk.onnx", "not a model")
        for bad in ["missing.onnx", "junk.onnx"] {
            #expect(throws: WardenError.self) { try ProbabilityModel(parsing: folder.url(bad)) }
        }
    }
}
