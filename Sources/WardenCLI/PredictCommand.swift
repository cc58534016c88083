import ArgumentParser
import Foundation
import WardenCore
import WardenFormats
import WardenModels

/// `warden predict`: an ONNX model's raw outputs for every row of a CSV table.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run an ONNX model on every row of a CSV table and write its raw outputs as CSV.",
        discussion: """
            Writes one row per input row, with a header and no index column: each output of one value \
            per row is a column named after it, a wider output is columns NAME_0, NAME_1, … (logits \
            or probabilities exactly as the model emits them; integer labels as integers). The input \
            is read streaming in batches. A model Warden trained names its feature columns and they \
            are read by name; otherwise every column but --label is a feature, in file order.

            Example:
              warden predict --model digits.onnx --data digits-test.csv --label label --output predictions.csv
            """
    )

    @Option(help: "The ONNX model.") var model: String
    @Option(help: "A CSV file with a header.") var data: String
    @Option(help: "A label column to leave out of the inputs.") var label: String?
    @Option(help: "Where to write the outputs (CSV, atomically).") var output: String
    @Option(help: "Rows per model call.") var batch: Int = 1024
    @Flag(help: "Print a JSON summary on stdout.") var json = false

    func validate() throws {
        guard batch > 0, batch <= 1 << 20 else { throw ValidationError("--batch must be in 1…1048576, got \(batch)") }
    }

    func run() throws {
        let predictor = try TabularPredictor(model: try ONNXModel(contentsOf: model))
        let table = try predictor.table(data, label: label)
        var text: [UInt8] = []
        var header: [String]?
        var rows = 0
        try table.forEachBatch(rows: batch) { chunk in
            let outputs = try predictor.run(features: chunk.features, rows: chunk.rowCount)
            let columns = predictor.columns(for: outputs, rows: chunk.rowCount)
            if header == nil {
                header = columns.flatMap { column in column.width == 1 ? [column.name] : (0..<column.width).map { "\(column.name)_\($0)" } }
                text += Array((header!.joined(separator: ",") + "\n").utf8)
            }
            let values = columns.map { outputs[$0.output]! }
            let flat = values.map { $0.elementType == .float ? $0.doubles.map { CSVNumber.float($0) } : $0.doubles.map { CSVNumber.integer($0) } }
            for row in 0..<chunk.rowCount {
                var fields: [String] = []
                for (column, cells) in zip(columns, flat) { fields += cells[(row * column.width)..<((row + 1) * column.width)] }
                text += Array((fields.joined(separator: ",") + "\n").utf8)
            }
            rows += chunk.rowCount
        }
        if header == nil { text = Array("\n".utf8) }
        try FileIO.writeAtomically(text, to: output)
        if json {
            Console.json(.object([("rows", .int(Int64(rows))), ("columns", .array((header ?? []).map { .string($0) })), ("output", .string(output))]))
        } else {
            Console.output("Wrote \(rows) rows × \(header?.count ?? 0) columns (\((header ?? []).prefix(4).joined(separator: ", "))\((header?.count ?? 0) > 4 ? ", …" : "")) to \(output)")
        }
    }
}

/// How numbers are written into CSV files: floats with enough digits to read back the same float.
enum CSVNumber {
    static func float(_ value: Double) -> String { "\(Float(value))" }
    static func integer(_ value: Double) -> String { String(Int64(value)) }
}
