import WardenCore
import WardenTensor

/// The operators Warden runs, by domain and type, and the compilers that turn a node into a kernel.
enum ONNXOperators {
    /// Compiles a node for its model's operator set version.
    typealias Compiler = @Sendable (ONNXNode, _ opset: Int) throws -> ONNXKernel

    static let defaultDomain: [String: Compiler] = math.merging(neuralNetwork) { a, _ in a }.merging(structure) { a, _ in a }
    static let mlDomain: [String: Compiler] = classicalML

    static func compiler(for node: ONNXNode) -> Compiler? {
        switch node.domain {
        case "": defaultDomain[node.opType]
        case "ai.onnx.ml": mlDomain[node.opType]
        default: nil
        }
    }

    static func isSupported(_ node: ONNXNode, model: ONNXModel) -> Bool { compiler(for: node) != nil }

    /// The names of every supported operator (`ai.onnx.ml.` prefixed for the ML domain), sorted.
    static var supportedNames: [String] {
        (defaultDomain.keys.sorted() + mlDomain.keys.sorted().map { "ai.onnx.ml." + $0 })
    }

    static func kernel(for node: ONNXNode, model: ONNXModel) throws -> ONNXKernel {
        guard let compiler = compiler(for: node) else {
            var hint = ""
            if node.opType == "ZipMap" { hint = " (convert scikit-learn models with skl2onnx option zipmap=False)" }
            throw WardenError.unsupported(
                "Node '\(node.name)' uses the operator \(node.domain.isEmpty ? "" : node.domain + ".")\(node.opType), which Warden does not run\(hint)")
        }
        return try compiler(node, model.opset(for: node.domain))
    }
}
