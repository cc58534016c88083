import Foundation
import WardenAnalysis
import WardenCore
import WardenModels
import WardenTensor

/// A small classifier trained in-test: three blobs in [0, 1]^16, an MLP with one hidden layer,
/// exported to ONNX and loaded back through Warden's runtime (so attacks see a real ONNX graph).
enum AdversarialFixtures {
    static let width = 16

    static func blobs(count: Int, seed: UInt64) -> (features: [Float], labels: [Int]) {
        var g = SeededRandomGenerator(seed: seed)
        var features: [Float] = []
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            for j in 0..<width {
                let centre: Float = (j % 3 == label) ? 0.7 : 0.3
                features.append(min(max(centre + Float.random(in: -0.2..<0.2, using: &g), 0), 1))
            }
            labels.append(label)
        }
        return (features, labels)
    }

    /// The trained model's ONNX bytes (trained once per test process).
    static let onnx: [UInt8] = {
        do {
            let (features, labels) = blobs(count: 240, seed: 7)
            let classes = ClassLabels(names: ["0", "1", "2"])
            let data = try LabeledDataset(
                features: try Tensor(shape: [labels.count, width], scalars: features), labels: labels.map(Int64.init), classes: classes,
                featureNames: (0..<width).map { "f\($0)" }, source: "blobs")
            let trainer = try Trainer(
                spec: try ModelSpec(parsing: "mlp:16"), features: width, classes: classes, featureNames: data.featureNames,
                configuration: Trainer.Configuration(epochs: 30, learningRate: 0.01, batchSize: 16, seed: 3))
            try trainer.train(on: data)
            return try trainer.exportONNX(label: "label")
        } catch {
            fatalError("training the fixture failed: \(error)")
        }
    }()

    static func classifier() throws -> ONNXClassifier {
        try ONNXClassifier(model: try ONNXModel(bytes: onnx, source: "blobs.onnx"))
    }

    /// Held-out rows.
    static let test = blobs(count: 60, seed: 11)
}

/// A classifier with only queries (no gradients): the scores of a fixed linear map `W x + b`.
struct LinearQueryClassifier: QueryableClassifier {
    let weights: [[Float]]
    let bias: [Float]
    var width: Int { weights[0].count }
    var classCount: Int { weights.count }
    var exampleShape: [Int] { [width] }

    func scores(_ x: [Float], rows: Int) throws -> [Float] {
        var out: [Float] = []
        for r in 0..<rows {
            for (k, w) in weights.enumerated() {
                var total = bias[k]
                for j in 0..<width { total += w[j] * x[r * width + j] }
                out.append(total)
            }
        }
        return out
    }
}
