import ArgumentParser
import Foundation
import WardenCore
import WardenFormats
import WardenModels
import WardenTensor

/// `warden model run`: an ONNX model on NumPy inputs, outputs as `.npy` files.
struct ModelRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on inputs from a .npz archive and write each output as .npy.",
        discussion: """
            Each array of --inputs feeds the graph input of the same name (float64 arrays are \
            converted to float32; int64, int32, uint8 and bool arrays keep their type). Each output \
            is written to DIR/NAME.npy (characters other than letters, digits, '.', '_' and '-' in \
            NAME become '_'). This is how scripts/interop/onnx.sh compares Warden with onnxruntime.

            Example:
              warden model run model.onnx --inputs inputs.npz --output-dir outputs
            """
    )

    @Argument(help: "The .onnx file.") var path: String
    @Option(help: "A .npz archive with one array per graph input.") var inputs: String
    @Option(help: "Folder to write NAME.npy per output into (created if missing).") var outputDir: String
    @Flag(help: "Print {output name: file} as JSON on stdout.") var json = false

    func run() throws {
        let session = try ONNXSession(model: try ONNXModel(contentsOf: path))
        var feeds: [String: ONNXValue] = [:]
        for (name, array) in try NumpyArrayFile.readArchive(path: inputs) {
            feeds[name] = try Self.value(array, name: name)
        }
        let outputs = try session.run(feeds)
        try FileIO.makeDirectory(outputDir)
        var written: [(String, JSONValue)] = []
        for info in session.model.outputs {
            guard let value = outputs[info.name] else { continue }
            let file = outputDir + "/" + Self.fileName(info.name) + ".npy"
            try FileIO.writeAtomically(NumpyArrayFile.encode(try Self.array(value)), to: file)
            written.append((info.name, .string(file)))
        }
        if json {
            Console.json(.object(written))
        } else {
            for (name, file) in written { Console.output("\(name) → \(file.stringValue ?? "")") }
        }
    }

    static func fileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }

    static func value(_ array: NumericArray, name: String) throws -> ONNXValue {
        switch array.elementType {
        case .float32, .float64: return ONNXValue(try Tensor(shape: array.shape, scalars: array.floats()))
        case .int64, .uint32, .int16, .uint16, .int8, .uint64: return ONNXValue(try Tensor(shape: array.shape, scalars: try array.int64s()))
        case .int32: return ONNXValue(try Tensor(shape: array.shape, scalars: try array.int64s().map { Int32($0) }))
        case .uint8: return ONNXValue(try Tensor(shape: array.shape, scalars: try array.int64s().map { UInt8($0) }))
        case .bool: return ONNXValue(try Tensor(shape: array.shape, scalars: array.doubles().map { $0 != 0 }))
        }
    }

    static func array(_ value: ONNXValue) throws -> NumericArray {
        if let floats = value.floatTensor { return try NumericArray(shape: value.shape, floats: floats.scalars) }
        return try NumericArray(shape: value.shape, int64s: value.doubles.map { Int64($0) })
    }
}
