import ArgumentParser
import Foundation
import WardenCore
import WardenFormats
import WardenModels

/// `warden eval`: a classifier's accuracy on a labelled CSV table.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure an ONNX classifier's accuracy on a labelled CSV table.",
        discussion: """
            The predicted class is the model's integer label output if it has one (scikit-learn \
            exports), else the arg-max of its first float output, named through the classes a \
            Warden-trained model records. Labels match when equal as text or as whole numbers.

            Example:
              warden eval --model digits.onnx --data digits-test.csv --label label
              warden eval --model digits.onnx --data digits-test.csv --label label --json
            """
    )

    @Option(help: "The ONNX model.") var model: String
    @Option(help: "A CSV file with a header.") var data: String
    @Option(help: "The label column.") var label: String
    @Option(help: "Rows per model call.") var batch: Int = 1024
    @Flag(help: "Print {\"accuracy\": …, \"n\": …} on stdout.") var json = false

    func validate() throws {
        guard batch > 0, batch <= 1 << 20 else { throw ValidationError("--batch must be in 1…1048576, got \(batch)") }
    }

    func run() throws {
        let predictor = try TabularPredictor(model: try ONNXModel(contentsOf: model))
        let table = try predictor.table(data, label: label)
        var correct = 0, n = 0
        try table.forEachBatch(rows: batch) { chunk in
            let predicted = try predictor.predictedLabels(try predictor.run(features: chunk.features, rows: chunk.rowCount), rows: chunk.rowCount)
            correct += zip(predicted, chunk.labels).filter { TabularPredictor.sameClass($0, $1) }.count
            n += chunk.rowCount
        }
        let accuracy = n > 0 ? Double(correct) / Double(n) : 0
        if json {
            Console.json(.object([("accuracy", .double(accuracy)), ("n", .int(Int64(n)))]))
        } else {
            Console.output(String(format: "accuracy %.4f (%d of %d rows correct)", accuracy, correct, n))
        }
    }
}
