import ArgumentParser
import Foundation
import WardenCore
import WardenModels

/// `warden model inspect`: what an ONNX model takes, returns and is made of.
struct ModelInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe an ONNX model: inputs, outputs, operators, parameter count, metadata.",
        discussion: """
            Reads and checks the graph (every node's inputs exist, no cycles, initialisers decode; \
            external data only from inside the model's folder) without running it, and lists any \
            operator Warden's runtime does not run. Exit 2 when the file is not a valid ONNX model.

            Example:
              warden model inspect model.onnx
              warden model inspect model.onnx --json
            """
    )

    @Argument(help: "The .onnx file.") var path: String
    @Flag(help: "Print machine-readable JSON on stdout instead of text.") var json = false

    func run() throws {
        let model = try ONNXModel(contentsOf: path)
        let unsupported = ONNXSession.unsupportedNodes(in: model)
        if json {
            Console.json(Self.report(model, unsupported: unsupported))
            return
        }
        let opsets = model.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        Console.output("ONNX model '\(path)': IR \(model.irVersion), opsets \(opsets.joined(separator: ", "))\(producer.isEmpty ? "" : ", produced by \(producer)")")
        Console.output("Inputs:")
        for input in model.inputs { Console.output("  \(input.name)  \(input.typeDescription)") }
        Console.output("Outputs:")
        for output in model.outputs { Console.output("  \(output.name)  \(output.typeDescription)") }
        let ops = model.operatorCounts.map { "\($0.op) ×\($0.count)" }.joined(separator: ", ")
        Console.output("Operators (\(model.nodes.count) nodes): \(ops.isEmpty ? "none" : ops)")
        Console.output("Parameters: \(model.parameterCount) in \(model.initializers.count) initialisers")
        if unsupported.isEmpty {
            Console.output("Every operator is supported by Warden's runtime")
        } else {
            Console.output("Not supported by Warden's runtime: " + unsupported.map { "\($0.opType) (node '\($0.name)')" }.joined(separator: ", "))
        }
        if !model.metadata.isEmpty {
            Console.output("Metadata:")
            for (key, value) in model.metadata { Console.output("  \(key) = \(value)") }
        }
    }

    static func report(_ model: ONNXModel, unsupported: [ONNXNode]) -> JSONValue {
        func info(_ value: ONNXValueInfo) -> JSONValue {
            let shape: JSONValue = value.shape.map { dims in
                .array(dims.map { dim in
                    switch dim {
                    case .fixed(let size): .int(Int64(size))
                    case .symbolic(let name): .string(name)
                    case .unknown: .null
                    }
                })
            } ?? .null
            return .object([("name", .string(value.name)), ("type", value.elementType.map { .string($0.description) } ?? .null), ("shape", shape)])
        }
        let unsupportedOps = Set(unsupported.map { $0.domain.isEmpty ? $0.opType : $0.domain + "." + $0.opType })
        return .object([
            ("source", .string(model.source)),
            ("ir_version", .int(model.irVersion)),
            ("opsets", .object(model.opsets.sorted { $0.key < $1.key }.map { ($0.key.isEmpty ? "ai.onnx" : $0.key, .int(Int64($0.value))) })),
            ("producer", .string([model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " "))),
            ("inputs", .array(model.inputs.map(info))),
            ("outputs", .array(model.outputs.map(info))),
            ("nodes", .int(Int64(model.nodes.count))),
            ("operators", .array(model.operatorCounts.map {
                .object([("op", .string($0.op)), ("count", .int(Int64($0.count))), ("supported", .bool(!unsupportedOps.contains($0.op)))])
            })),
            ("parameters", .int(Int64(model.parameterCount))),
            ("initializers", .int(Int64(model.initializers.count))),
            ("unsupported", .array(unsupported.map { .object([("node", .string($0.name)), ("op", .string($0.opType))]) })),
            ("metadata", .object(model.metadata.map { ($0.key, .string($0.value)) })),
        ])
    }
}
