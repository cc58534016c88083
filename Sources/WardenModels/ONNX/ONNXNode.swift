/// One operator application in an ONNX graph.
public struct ONNXNode: Sendable {
    /// The node's name (ONNX allows empty names; Warden then names it `OpType#index`).
    public var name: String
    public var opType: String
    /// `""` for the default `ai.onnx` domain, `ai.onnx.ml` for the classical ML operators.
    public var domain: String
    /// Input value names in order; `""` marks an omitted optional input.
    public var inputs: [String]
    /// Output value names in order; `""` marks an output nobody wants.
    public var outputs: [String]
    var attributes: [String: ONNXAttribute]

    /// `'name' (OpType)`, for messages.
    public var label: String { "'\(name)' (\(domain.isEmpty || domain == "ai.onnx" ? "" : domain + ".")\(opType))" }

    /// The names of the node's attributes, sorted.
    public var attributeNames: [String] { attributes.keys.sorted() }
}
