import Foundation
import WardenCore
import WardenFormats
import WardenTensor

/// An ONNX model read from a file and checked: every node's inputs exist, the graph has no cycle, the
/// initialisers decode and match their shapes. Nodes are kept in an order where each comes after the
/// nodes it reads from. Running it is ``ONNXSession``'s job.
public struct ONNXModel: Sendable {
    /// Where the model came from, for messages.
    public let source: String
    public let irVersion: Int64
    /// Operator set versions by domain (`""` is the default `ai.onnx` domain).
    public let opsets: [String: Int]
    public let producerName: String
    public let producerVersion: String
    public let graphName: String
    /// `metadata_props`, in file order.
    public let metadata: [(key: String, value: String)]
    /// The graph inputs a caller must feed (inputs that an initialiser provides a default for are left out).
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    /// The nodes, each after the nodes whose outputs it reads.
    public let nodes: [ONNXNode]
    /// Constant tensors (weights, biases, shapes) by name.
    public let initializers: [String: ONNXValue]

    /// The largest ONNX file Warden reads whole (protobuf's own limit); weights beyond it must be external.
    public static var maximumFileSize: Int { ONNXProtobuf.maximumModelSize }

    /// Reads and checks a `.onnx` file; external data is read only from files inside its folder.
    /// - Throws: `WardenError` (`.io`, `.invalidInput`, `.unsupported`) naming the file and, for graph
    ///   problems, the node.
    public init(contentsOf path: String) throws {
        let bytes = try FileIO.readAll(path, limit: Self.maximumFileSize)
        try self.init(bytes: bytes, source: path, directory: FileIO.parentDirectory(of: path))
    }

    /// Decodes and checks a model from its bytes.
    /// - Parameters:
    ///   - directory: the folder external data is read from (`nil`: external data is refused).
    /// - Throws: as ``init(contentsOf:)``.
    public init(bytes: [UInt8], source: String, directory: String? = nil) throws {
        let proto = try ONNXProtobuf.decodeModel(bytes, source: source)
        try self.init(proto: proto, source: source, directory: directory)
    }

    init(proto: Onnx_ModelProto, source: String, directory: String?) throws {
        guard proto.hasGraph else {
            throw WardenError.invalidInput("'\(source)' is not an ONNX model: it has no graph")
        }
        guard proto.irVersion > 0 else {
            throw WardenError.invalidInput("'\(source)' is not an ONNX model: it declares no IR version")
        }
        var opsets: [String: Int] = [:]
        for entry in proto.opsetImport {
            let domain = entry.domain == "ai.onnx" ? "" : entry.domain
            guard entry.version > 0, entry.version < 1000 else {
                throw WardenError.invalidInput("'\(source)' imports opset \(entry.version) of domain '\(entry.domain)'")
            }
            opsets[domain] = Int(entry.version)
        }
        guard opsets[""] != nil else {
            throw WardenError.invalidInput("'\(source)' imports no version of the default ONNX operator set")
        }
        self.source = source
        self.irVersion = proto.irVersion
        self.opsets = opsets
        self.producerName = proto.producerName
        self.producerVersion = proto.producerVersion
        self.metadata = proto.metadataProps.map { ($0.key, $0.value) }
        let graph = proto.graph
        self.graphName = graph.name

        let decoder = ONNXTensorDecoder(directory: directory, source: source)
        var initializers: [String: ONNXValue] = [:]
        for tensor in graph.initializer {
            guard !tensor.name.isEmpty else { throw WardenError.invalidInput("'\(source)' has an initialiser without a name") }
            guard initializers[tensor.name] == nil else {
                throw WardenError.invalidInput("'\(source)' has two initialisers named '\(tensor.name)'")
            }
            initializers[tensor.name] = try decoder.decode(tensor, what: "initialiser")
        }
        if let sparse = graph.sparseInitializer.first {
            throw WardenError.unsupported("'\(source)' has a sparse initialiser '\(sparse.values.name)'; Warden reads dense tensors only")
        }
        self.initializers = initializers

        var declaredInputs: [ONNXValueInfo] = []
        var available = Set(initializers.keys)
        for input in graph.input {
            let info = try Self.valueInfo(input, source: source)
            guard !info.name.isEmpty else { throw WardenError.invalidInput("'\(source)' has a graph input without a name") }
            if initializers[info.name] == nil {
                guard available.insert(info.name).inserted else {
                    throw WardenError.invalidInput("'\(source)' declares the graph input '\(info.name)' twice")
                }
                declaredInputs.append(info)
            }
        }
        self.inputs = declaredInputs
        self.outputs = try graph.output.map { try Self.valueInfo($0, source: source) }

        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(graph.node.count)
        var used = Set<String>()
        for (index, proto) in graph.node.enumerated() {
            let name = proto.name.isEmpty ? "\(proto.opType)#\(index)" : proto.name
            guard !proto.opType.isEmpty else { throw WardenError.invalidInput("Node '\(name)' in '\(source)' has no operator type") }
            guard used.insert(name).inserted || proto.name.isEmpty else {
                throw WardenError.invalidInput("'\(source)' has two nodes named '\(name)'")
            }
            let domain = proto.domain == "ai.onnx" ? "" : proto.domain
            var node = ONNXNode(name: name, opType: proto.opType, domain: domain, inputs: proto.input, outputs: proto.output, attributes: [:])
            for attribute in proto.attribute {
                guard node.attributes[attribute.name] == nil else {
                    throw node.error("has two attributes named '\(attribute.name)'")
                }
                node.attributes[attribute.name] = try Self.attribute(attribute, node: node, decoder: decoder)
            }
            nodes.append(node)
        }
        self.nodes = try Self.topologicallySorted(nodes, available: available, source: source)
        for output in outputs where !output.name.isEmpty {
            guard available.contains(output.name) || self.nodes.contains(where: { $0.outputs.contains(output.name) }) else {
                throw WardenError.invalidInput("'\(source)': the graph output '\(output.name)' is produced by no node, input or initialiser")
            }
        }
    }

    /// Orders the nodes so each comes after the producers of its inputs (Kahn's algorithm), naming
    /// the node when an input has no producer, a value has two, or the nodes form a cycle.
    static func topologicallySorted(_ nodes: [ONNXNode], available: Set<String>, source: String) throws -> [ONNXNode] {
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard !available.contains(output), producer[output] == nil else {
                    throw node.error("writes '\(output)', which another node, a graph input or an initialiser already defines")
                }
                producer[output] = index
            }
        }
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers: [[Int]] = Array(repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty {
                if let from = producer[input] {
                    waiting[index] += 1
                    readers[from].append(index)
                } else if !available.contains(input) {
                    throw node.error("reads '\(input)', which no node, graph input or initialiser produces")
                }
            }
        }
        // Ready nodes are taken in file order, so an already sorted graph keeps its order.
        var ready = (0..<nodes.count).filter { waiting[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.popLast() {
            order.append(next)
            var released: [Int] = []
            for reader in readers[next] {
                waiting[reader] -= 1
                if waiting[reader] == 0 { released.append(reader) }
            }
            ready.append(contentsOf: released.sorted(by: >))
            ready.sort(by: >)
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.first { waiting[$0] > 0 }!
            throw nodes[stuck].error("is part of a cycle (its inputs depend on its own outputs)")
        }
        return order.map { nodes[$0] }
    }

    static func valueInfo(_ proto: Onnx_ValueInfoProto, source: String) throws -> ONNXValueInfo {
        guard case .tensorType(let tensor)? = proto.type.value else {
            return ONNXValueInfo(name: proto.name, elementType: nil, shape: nil)
        }
        let shape: [ONNXValueInfo.Dimension]? = tensor.hasShape
            ? tensor.shape.dim.map { dim in
                switch dim.value {
                case .dimValue(let size)?: size >= 0 && size <= Int64(Int32.max) ? .fixed(Int(size)) : .unknown
                case .dimParam(let name)?: name.isEmpty ? .unknown : .symbolic(name)
                case nil: .unknown
                }
            }
            : nil
        return ONNXValueInfo(name: proto.name, elementType: ONNXElementType(code: tensor.elemType), shape: shape)
    }

    static func attribute(_ proto: Onnx_AttributeProto, node: ONNXNode, decoder: ONNXTensorDecoder) throws -> ONNXAttribute {
        func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
        switch proto.type {
        case .float: return .float(proto.f)
        case .int: return .int(proto.i)
        case .string: return .string(text(proto.s))
        case .tensor: return .tensor(try decoder.decode(proto.t, what: "attribute '\(proto.name)' of node \(node.label)"))
        case .floats: return .floats(proto.floats)
        case .ints: return .ints(proto.ints)
        case .strings: return .strings(proto.strings.map(text))
        case .undefined:
            // Old exporters leave `type` unset; infer it from the field that is filled.
            if proto.hasF { return .float(proto.f) }
            if proto.hasI { return .int(proto.i) }
            if proto.hasS { return .string(text(proto.s)) }
            if proto.hasT { return .tensor(try decoder.decode(proto.t, what: "attribute '\(proto.name)' of node \(node.label)")) }
            if !proto.ints.isEmpty { return .ints(proto.ints) }
            if !proto.floats.isEmpty { return .floats(proto.floats) }
            if !proto.strings.isEmpty { return .strings(proto.strings.map(text)) }
            return .other("undefined")
        default: return .other("\(proto.type)")
        }
    }

    /// The version of a domain's operator set this model imports (0 when it imports none).
    public func opset(for domain: String) -> Int { opsets[domain == "ai.onnx" ? "" : domain] ?? 0 }

    /// The number of scalars in float initialisers (the model's trainable parameters, as exporters write them).
    public var parameterCount: Int {
        initializers.values.reduce(0) { $0 + ($1.elementType == .float ? $1.count : 0) }
    }

    /// Operators and how many nodes use each, most used first (ties by name).
    public var operatorCounts: [(op: String, count: Int)] {
        var counts: [String: Int] = [:]
        for node in nodes { counts[node.domain.isEmpty ? node.opType : node.domain + "." + node.opType, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The value of a `metadata_props` key, if present.
    public func metadata(_ key: String) -> String? { metadata.first { $0.key == key }?.value }
}
