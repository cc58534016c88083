import Foundation
import Testing
import WardenCore
import WardenTensor
import WardenTesting

@testable import WardenModels

struct ModelSpecTests {
    @Test func parsesMLPsAndCNNs() throws {
        var g = SeededRandomGenerator(seed: 1)
        let mlp = try ModelSpec(parsing: "mlp:16,bn,dropout0.25,8").build(features: 4, classes: 3, generator: &g)
        #expect(mlp.inputShape == [4])
        #expect(mlp.model.layers.map { "\(type(of: $0))" } == ["Dense", "BatchNorm", "ReLU", "Dropout", "Dense", "ReLU", "Dense"])
        let cnn = try ModelSpec(parsing: "cnn:1x8x8:conv4k3,bn,pool2,conv8k3s2p0,gap,dense16").build(features: 64, classes: 10, generator: &g)
        #expect(cnn.inputShape == [1, 8, 8])
        #expect(try cnn.model(try Tensor<Float>(zeros: [2, 1, 8, 8])).shape == [2, 10])
        let linear = try ModelSpec(parsing: "mlp:").build(features: 5, classes: 2, generator: &g)
        #expect(linear.model.layers.count == 1)
    }

    @Test(arguments: [
        ("tree:1", "must start with mlp: or cnn:"), ("mlp:0", "1…65536"), ("mlp:bn", "must follow"), ("mlp:dropout1.5", "0..<1"),
        ("cnn:8x8:conv4k3", "image shape"), ("cnn:1x8x8", "cnn:CxHxW:layers"), ("cnn:1x8x8:conv4", "not a layer"), ("cnn:1x0x8:pool2", "image shape"),
        ("mlp:conv4k3", "not a layer"),
    ])
    func refusesBadSpecs(_ spec: String, _ expected: String) {
        do {
            _ = try ModelSpec(parsing: spec)
            Issue.record("'\(spec)' parsed")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func refusesImagesThatDoNotFitTheData() throws {
        var g = SeededRandomGenerator(seed: 1)
        #expect(throws: WardenError.self) { _ = try ModelSpec(parsing: "cnn:1x8x8:conv4k3").build(features: 63, classes: 2, generator: &g) }
        #expect(throws: WardenError.self) { _ = try ModelSpec(parsing: "cnn:1x4x4:pool8").build(features: 16, classes: 2, generator: &g) }
        #expect(throws: WardenError.self) { _ = try ModelSpec(parsing: "mlp:4").build(features: 3, classes: 1, generator: &g) }
    }
}

struct TrainerTests {
    /// Two Gaussian blobs per class in 4 dimensions: easy to separate, but not linearly trivial.
    static func blobs(count: Int, seed: UInt64) throws -> LabeledDataset {
        var g = SeededRandomGenerator(seed: seed)
        var features: [Float] = []
        var labels: [String] = []
        for i in 0..<count {
            let label = i % 3
            let centre: [Float] = [[2, 0, 0, 1], [-2, 1, 0, 0], [0, -2, 1, 0]][label]
            for c in centre { features.append(c + Float.random(in: -1..<1, using: &g)) }
            labels.append(["alpha", "beta", "gamma"][label])
        }
        let classes = ClassLabels(labels: labels)
        return try LabeledDataset(
            features: try Tensor(shape: [count, 4], scalars: features), labels: try classes.indices(of: labels, source: "blobs"),
            classes: classes, featureNames: ["a", "b", "c", "d"], source: "blobs")
    }

    @Test func trainsAnMLPToHighAccuracyAndExportsTheSameFunction() throws {
        let data = try Self.blobs(count: 300, seed: 1)
        let trainer = try Trainer(
            spec: try ModelSpec(parsing: "mlp:16"), features: 4, classes: data.classes, featureNames: data.featureNames,
            configuration: Trainer.Configuration(epochs: 15, learningRate: 0.01, batchSize: 16, seed: 3))
        var epochsSeen = 0
        let history = try trainer.train(on: data) { if $0.epochFinished { epochsSeen += 1 } }
        #expect(epochsSeen == 15)
        #expect(history.last!.loss < history.first!.loss)
        #expect(try trainer.accuracy(on: try Self.blobs(count: 150, seed: 2)) > 0.95)
        // The ONNX file computes what the trained model computes.
        let model = try ONNXModel(bytes: try trainer.exportONNX(label: "label"), source: "trained.onnx")
        #expect(model.metadata(ModelMetadataKey.classes) == #"["alpha","beta","gamma"]"#)
        let x = try data.features.sliced(axis: 0, start: 0, end: 20)
        let exported = try ONNXSession(model: model).run(x)["logits"]!.floatTensor!
        let native = try trainer.model(x)
        #expect(zip(exported.scalars, native.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func trainingIsBitForBitReproducible() throws {
        let data = try Self.blobs(count: 96, seed: 4)
        func run(seed: UInt64, threads: Int) throws -> [UInt8] {
            try TensorRuntime.withThreads(threads) {
                let trainer = try Trainer(
                    spec: try ModelSpec(parsing: "mlp:8,bn,dropout0.2"), features: 4, classes: data.classes, featureNames: data.featureNames,
                    configuration: Trainer.Configuration(epochs: 3, batchSize: 8, seed: seed))
                try trainer.train(on: data)
                return try trainer.exportONNX(label: "label")
            }
        }
        let first = try run(seed: 7, threads: 1)
        #expect(try run(seed: 7, threads: 2) == first)
        #expect(try run(seed: 8, threads: 1) != first)
    }

    @Test func aSmallCNNTrainsAndExports() throws {
        // 4×4 images: class 0 lights the left half, class 1 the right half.
        var g = SeededRandomGenerator(seed: 9)
        var features: [Float] = []
        var labels: [Int64] = []
        for i in 0..<64 {
            let right = i % 2 == 1
            for _ in 0..<4 { for column in 0..<4 { features.append(((column >= 2) == right ? 1 : 0) + Float.random(in: -0.3..<0.3, using: &g)) } }
            labels.append(right ? 1 : 0)
        }
        let data = try LabeledDataset(
            features: try Tensor(shape: [64, 16], scalars: features), labels: labels, classes: ClassLabels(names: ["0", "1"]),
            featureNames: (0..<16).map { "p\($0)" }, source: "halves")
        let trainer = try Trainer(
            spec: try ModelSpec(parsing: "cnn:1x4x4:conv4k3,bn,pool2,dense8"), features: 16, classes: data.classes,
            featureNames: data.featureNames, configuration: Trainer.Configuration(epochs: 10, learningRate: 0.01, batchSize: 8, seed: 1))
        try trainer.train(on: data)
        #expect(try trainer.accuracy(on: data) > 0.95)
        let model = try ONNXModel(bytes: try trainer.exportONNX(label: "label"), source: "cnn.onnx")
        #expect(model.operatorCounts.map(\.op).sorted() == ["BatchNormalization", "Conv", "Flatten", "Gemm", "Identity", "MaxPool", "Relu"])
        let x = try data.features.reshaped(to: [64, 1, 4, 4])
        let exported = try ONNXSession(model: model).run(x)["logits"]!.floatTensor!
        #expect(zip(exported.scalars, try trainer.model(x).scalars).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func classLabelsKeepDigitsAsDigits() {
        let numeric = ClassLabels(labels: ["10", "2", "1.0", "2"])
        #expect(numeric.names == ["1", "2", "10"])
        #expect(numeric.index(of: "1") == 0 && numeric.index(of: "10.0") == 2 && numeric.index(of: "3") == nil)
        let text = ClassLabels(labels: ["dog", "cat", "dog"])
        #expect(text.names == ["cat", "dog"] && !text.areNumeric)
    }
}
