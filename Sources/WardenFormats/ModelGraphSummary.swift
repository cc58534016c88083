import WardenCore

/// What a scanner needs from an ONNX model or a TensorFlow SavedModel, read with the streaming
/// protobuf walker (tensor payloads are skipped, never read): operators and their domains,
/// opset imports, and external-data locations.
public struct ModelGraphSummary: Sendable {
    /// An operator use: its type, domain (ONNX) and the offset of its node.
    public struct Operator: Sendable, Hashable {
        public var type: String
        public var domain: String
        public var offset: Int64
    }

    public var operators: [Operator] = []
    /// ONNX opset imports: domain → version.
    public var opsetDomains: [String] = []
    /// ONNX initializers stored outside the model: (tensor name, location, offset of the entry).
    public var externalData: [(name: String, location: String, offset: Int64)] = []
    /// Nodes visited (for sanity limits).
    public var nodes = 0

    static let maxDepth = 32
    static let maxNodes = 2_000_000

    // MARK: - ONNX

    /// Reads an ONNX ModelProto: opset_import (8), graph (7), functions (25).
    public static func onnx(_ source: any ByteSource) throws(WardenError) -> ModelGraphSummary {
        var summary = ModelGraphSummary()
        var reader = ProtobufReader(source: source)
        var sawGraph = false
        while let field = try reader.next() {
            switch (field.number, field.wireType) {
            case (8, 2):  // OperatorSetIdProto { domain = 1, version = 2 }
                var inner = ProtobufReader(source: source, range: field.range)
                var domain = ""
                while let f = try inner.next() {
                    if f.number == 1 && f.wireType == 2 { domain = try inner.string(of: f) }
                }
                summary.opsetDomains.append(domain)
            case (7, 2):
                sawGraph = true
                try summary.onnxGraph(source, field.range, depth: 0)
            case (25, 2):  // FunctionProto { node = 7, domain = 10 }
                var inner = ProtobufReader(source: source, range: field.range)
                while let f = try inner.next() {
                    if f.number == 7 && f.wireType == 2 { try summary.onnxNode(source, f.range, depth: 1) }
                }
            default:
                continue
            }
        }
        guard sawGraph else { throw .invalidInput("'\(source.name)': an ONNX model without a graph") }
        return summary
    }

    private mutating func onnxGraph(_ source: any ByteSource, _ range: Range<Int64>, depth: Int) throws(WardenError) {
        guard depth < Self.maxDepth else { throw .invalidInput("'\(source.name)': ONNX graphs nested more than \(Self.maxDepth) deep") }
        var reader = ProtobufReader(source: source, range: range)
        while let field = try reader.next() {
            guard field.wireType == 2 else { continue }
            switch field.number {
            case 1: try onnxNode(source, field.range, depth: depth)
            case 5: try onnxTensor(source, field.range)  // initializer
            case 15:  // sparse_initializer: SparseTensorProto { values = 1, indices = 2 }
                var inner = ProtobufReader(source: source, range: field.range)
                while let f = try inner.next() {
                    if f.wireType == 2 && (f.number == 1 || f.number == 2) { try onnxTensor(source, f.range) }
                }
            default: continue
            }
        }
    }

    private mutating func onnxNode(_ source: any ByteSource, _ range: Range<Int64>, depth: Int) throws(WardenError) {
        nodes += 1
        guard nodes <= Self.maxNodes else { throw .invalidInput("'\(source.name)': more than \(Self.maxNodes) nodes") }
        var reader = ProtobufReader(source: source, range: range)
        var type = "", domain = ""
        while let field = try reader.next() {
            guard field.wireType == 2 else { continue }
            switch field.number {
            case 4: type = try reader.string(of: field)
            case 7: domain = try reader.string(of: field)
            case 5:  // AttributeProto { t = 5, g = 6, tensors = 10, graphs = 11 }
                var inner = ProtobufReader(source: source, range: field.range)
                while let f = try inner.next() {
                    guard f.wireType == 2 else { continue }
                    if f.number == 6 || f.number == 11 { try onnxGraph(source, f.range, depth: depth + 1) }
                    if f.number == 5 || f.number == 10 { try onnxTensor(source, f.range) }
                }
            default: continue
            }
        }
        operators.append(Operator(type: type, domain: domain, offset: range.lowerBound))
    }

    /// TensorProto: name (8), external_data (13: StringStringEntryProto key 1, value 2), data_location (14).
    private mutating func onnxTensor(_ source: any ByteSource, _ range: Range<Int64>) throws(WardenError) {
        var reader = ProtobufReader(source: source, range: range)
        var name = ""
        var location: String?
        while let field = try reader.next() {
            if field.number == 8 && field.wireType == 2 { name = try reader.string(of: field) }
            if field.number == 13 && field.wireType == 2 {
                var entry = ProtobufReader(source: source, range: field.range)
                var key = "", value = ""
                while let f = try entry.next() {
                    if f.number == 1 && f.wireType == 2 { key = try entry.string(of: f) }
                    if f.number == 2 && f.wireType == 2 { value = try entry.string(of: f) }
                }
                if key == "location" { location = value }
            }
        }
        if let location { externalData.append((name, location, range.lowerBound)) }
    }

    // MARK: - TensorFlow SavedModel

    /// Reads a SavedModel: meta_graphs (2) → graph_def (2) → node (1: NodeDef op = 2) and
    /// library (2) → function (1) → node_def (3).
    public static func savedModel(_ source: any ByteSource) throws(WardenError) -> ModelGraphSummary {
        var summary = ModelGraphSummary()
        var reader = ProtobufReader(source: source)
        var sawMetaGraph = false
        while let field = try reader.next() {
            guard field.number == 2, field.wireType == 2 else { continue }
            sawMetaGraph = true
            var meta = ProtobufReader(source: source, range: field.range)
            while let f = try meta.next() {
                if f.wireType == 2 && f.number == 2 { try summary.tfGraph(source, f.range) }
            }
        }
        guard sawMetaGraph else { throw .invalidInput("'\(source.name)': a SavedModel without a meta graph") }
        return summary
    }

    private mutating func tfGraph(_ source: any ByteSource, _ range: Range<Int64>) throws(WardenError) {
        var reader = ProtobufReader(source: source, range: range)
        while let field = try reader.next() {
            guard field.wireType == 2 else { continue }
            if field.number == 1 { try tfNode(source, field.range) }
            if field.number == 2 {  // FunctionDefLibrary { function = 1 { node_def = 3 } }
                var library = ProtobufReader(source: source, range: field.range)
                while let f = try library.next() {
                    guard f.number == 1 && f.wireType == 2 else { continue }
                    var function = ProtobufReader(source: source, range: f.range)
                    while let n = try function.next() {
                        if n.number == 3 && n.wireType == 2 { try tfNode(source, n.range) }
                    }
                }
            }
        }
    }

    private mutating func tfNode(_ source: any ByteSource, _ range: Range<Int64>) throws(WardenError) {
        nodes += 1
        guard nodes <= Self.maxNodes else { throw .invalidInput("'\(source.name)': more than \(Self.maxNodes) nodes") }
        var reader = ProtobufReader(source: source, range: range)
        while let field = try reader.next() {
            if field.number == 2 && field.wireType == 2 {
                operators.append(Operator(type: try reader.string(of: field), domain: "", offset: range.lowerBound))
            }
        }
    }

    /// Whether the top-level fields look like an ONNX ModelProto (ir_version first, a graph field)
    /// or a SavedModel (only fields 1 and 2): for detection by content.
    public static func sniff(_ source: any ByteSource) -> String? {
        var reader = ProtobufReader(source: source)
        var numbers: Set<UInt64> = []
        var first: UInt64?
        var count = 0
        do {
            while let field = try reader.next(), count < 64 {
                if first == nil { first = field.number }
                numbers.insert(field.number)
                count += 1
            }
        } catch {
            if count < 2 { return nil }
        }
        if numbers.contains(7) && (first == 1 || numbers.contains(8)) && numbers.isSubset(of: [1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25, 26]) { return "onnx" }
        if first == 1 && numbers == [1, 2] { return "savedmodel" }
        return nil
    }
}
