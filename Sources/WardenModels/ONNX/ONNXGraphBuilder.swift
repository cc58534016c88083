import Foundation
import WardenCore
import WardenFormats
import WardenTensor

/// Builds an ONNX model file node by node: what the exporter writes, and how tests make graphs.
package struct ONNXGraphBuilder {
    private var proto = Onnx_ModelProto()

    /// - Parameters:
    ///   - opset: the default-domain operator set version (`ai.onnx.ml` 1 is added when an ML node is).
    ///   - irVersion: 8 is read by every onnxruntime since 1.10.
    package init(opset: Int = 17, irVersion: Int64 = 8, producer: String = "warden", producerVersion: String = "", graphName: String = "warden") {
        proto.irVersion = irVersion
        proto.producerName = producer
        proto.producerVersion = producerVersion
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        proto.opsetImport = [opsetID]
        proto.graph.name = graphName
    }

    /// Declares a graph input.
    package mutating func input(_ name: String, type: ONNXElementType = .float, shape: [ONNXValueInfo.Dimension]) {
        proto.graph.input.append(Self.valueInfo(name, type: type, shape: shape))
    }

    /// Declares a graph output.
    package mutating func output(_ name: String, type: ONNXElementType = .float, shape: [ONNXValueInfo.Dimension]?) {
        proto.graph.output.append(Self.valueInfo(name, type: type, shape: shape))
    }

    /// Adds a named constant tensor.
    package mutating func initializer(_ name: String, _ value: ONNXValue) {
        proto.graph.initializer.append(Self.tensorProto(value, name: name))
    }

    /// Appends a node; its name defaults to `OpType_index`.
    package mutating func node(
        _ opType: String, inputs: [String], outputs: [String], name: String? = nil, domain: String = "",
        attributes: [(String, ONNXAttribute)] = []
    ) {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.name = name ?? "\(opType)_\(proto.graph.node.count)"
        node.input = inputs
        node.output = outputs
        if !domain.isEmpty {
            node.domain = domain
            if !proto.opsetImport.contains(where: { $0.domain == domain }) {
                var opsetID = Onnx_OperatorSetIdProto()
                opsetID.domain = domain
                opsetID.version = 1
                proto.opsetImport.append(opsetID)
            }
        }
        node.attribute = attributes.map { Self.attributeProto($0.0, $0.1) }
        proto.graph.node.append(node)
    }

    /// Adds a `metadata_props` entry.
    package mutating func metadata(_ key: String, _ value: String) {
        var entry = Onnx_StringStringEntryProto()
        entry.key = key
        entry.value = value
        proto.metadataProps.append(entry)
    }

    /// The model's protobuf bytes.
    /// - Throws: `.invalidInput` when the model is too large for protobuf.
    package func serialized() throws -> [UInt8] { try ONNXProtobuf.encode(proto) }

    /// The model, checked as if read from a file.
    /// - Throws: as ``ONNXModel/init(bytes:source:directory:)``.
    package func model(source: String = "built model") throws -> ONNXModel {
        try ONNXModel(bytes: serialized(), source: source)
    }

    static func valueInfo(_ name: String, type: ONNXElementType, shape: [ONNXValueInfo.Dimension]?) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = type.code
        if let shape {
            var proto = Onnx_TensorShapeProto()
            proto.dim = shape.map { dimension in
                var dim = Onnx_TensorShapeProto.Dimension()
                switch dimension {
                case .fixed(let size): dim.dimValue = Int64(size)
                case .symbolic(let name): dim.dimParam = name
                case .unknown: break
                }
                return dim
            }
            tensor.shape = proto
        }
        info.type.tensorType = tensor
        return info
    }

    /// A tensor as raw little-endian bytes (bool as one byte per element).
    static func tensorProto(_ value: ONNXValue, name: String) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = value.shape.map(Int64.init)
        tensor.dataType = value.elementType.code
        switch value.storage {
        case .float(let t): tensor.rawData = Data(t.littleEndianBytes)
        case .int64(let t): tensor.rawData = Data(t.littleEndianBytes)
        case .int32(let t): tensor.rawData = Data(t.littleEndianBytes)
        case .uint8(let t): tensor.rawData = Data(t.littleEndianBytes)
        case .bool(let t): tensor.rawData = Data(t.littleEndianBytes)
        }
        return tensor
    }

    static func attributeProto(_ name: String, _ value: ONNXAttribute) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        switch value {
        case .float(let f):
            attribute.type = .float
            attribute.f = f
        case .int(let i):
            attribute.type = .int
            attribute.i = i
        case .string(let s):
            attribute.type = .string
            attribute.s = Data(s.utf8)
        case .tensor(let t):
            attribute.type = .tensor
            attribute.t = tensorProto(t, name: name)
        case .floats(let values):
            attribute.type = .floats
            attribute.floats = values
        case .ints(let values):
            attribute.type = .ints
            attribute.ints = values
        case .strings(let values):
            attribute.type = .strings
            attribute.strings = values.map { Data($0.utf8) }
        case .other:
            attribute.type = .undefined
        }
        return attribute
    }
}
