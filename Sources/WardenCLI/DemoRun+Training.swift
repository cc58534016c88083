import Foundation
import WardenCore
import WardenModels
import WardenTensor

extension DemoRun {
    /// The training stage: generated three-class data, `warden train`'s trainer (an MLP, seeded),
    /// the model written as ONNX, read back and evaluated on held-out rows by the ONNX runtime.
    static func trainModel(root: String, artefacts: inout [(String, String)]) throws -> String {
        let folder = root + "/training"
        try FileIO.makeDirectory(folder)
        let train = folder + "/train.csv", test = folder + "/test.csv", out = folder + "/model.onnx"
        try FileIO.writeAtomically(generatedTable(rows: 600, seed: 11), to: train)
        try FileIO.writeAtomically(generatedTable(rows: 300, seed: 12), to: test)
        let data = try LabeledDataset(csv: train, label: "label")
        let trainer = try Trainer(
            spec: try ModelSpec(parsing: "mlp:32,16"), features: data.features.shape[1], classes: data.classes, featureNames: data.featureNames,
            configuration: Trainer.Configuration(epochs: 15, learningRate: 0.005, batchSize: 32, seed: 2024))
        try trainer.train(on: data)
        try FileIO.writeAtomically(try trainer.exportONNX(label: "label", producerVersion: Warden.version), to: out)
        // Read back through the ONNX runtime, as `warden eval` does.
        let predictor = try TabularPredictor(model: try ONNXModel(contentsOf: out))
        let held = try LabeledDataset(csv: test, label: "label", classes: predictor.classes, features: predictor.featureNames)
        let outputs = try predictor.run(features: held.features.scalars, rows: held.count)
        let predicted = try predictor.predictedLabels(outputs, rows: held.count)
        let correct = zip(predicted, held.labels).filter { $0 == held.classes.names[Int($1)] }.count
        let accuracy = Double(correct) / Double(held.count)
        guard accuracy >= 0.9 else { throw WardenError.internalError("the trained model reached only \(accuracy) accuracy") }
        artefacts.append(("trained model (ONNX)", out))
        return String(format: "trained mlp:32,16 on %d rows (%d epochs, seed 2024), wrote ONNX (%@), held-out accuracy %.1f%% via the ONNX runtime",
                      data.count, trainer.history.count, try Digest.sha256(ofFile: out).description.prefix(19) + "…", accuracy * 100)
    }

    /// Rows of 8 features around one of three centres, labelled by centre (`low`, `mid`, `high`).
    static func generatedTable(rows: Int, seed: UInt64) -> String {
        var generator = SeededRandomGenerator(seed: seed)
        var text = (0..<8).map { "x\($0)" }.joined(separator: ",") + ",label\n"
        for row in 0..<rows {
            let label = row % 3
            let values = (0..<8).map { feature -> String in
                let centre = Float((feature + label) % 3) - 1
                return String(format: "%.4f", centre + Float.random(in: -0.9..<0.9, using: &generator))
            }
            text += values.joined(separator: ",") + ",\(["low", "mid", "high"][label])\n"
        }
        return text
    }
}
