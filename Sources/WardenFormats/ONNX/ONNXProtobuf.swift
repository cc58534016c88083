import SwiftProtobuf
import WardenCore

/// Decoding and encoding of ONNX files with the generated `Onnx_*` messages (`onnx.pb.swift`): the
/// bytes-to-values step; `WardenModels` validates the graph and runs it.
package enum ONNXProtobuf {
    /// Protobuf messages cannot exceed 2 GiB; larger models keep their weights as external data.
    package static let maximumModelSize = Int(Int32.max)
    /// Nesting depth accepted while decoding (graphs inside attributes inside graphs…), so a hostile
    /// file cannot exhaust the stack.
    package static let messageDepthLimit = 64

    /// Decodes a `ModelProto`.
    /// - Throws: `.invalidInput` naming `source` when the bytes are not a well-formed ONNX protobuf.
    package static func decodeModel(_ bytes: [UInt8], source: String) throws(WardenError) -> Onnx_ModelProto {
        guard bytes.count <= maximumModelSize else {
            throw .invalidInput("'\(source)' is \(bytes.count) bytes, more than a protobuf can hold (2 GiB); keep large weights as external data")
        }
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = messageDepthLimit
        options.discardUnknownFields = true
        do {
            return try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw .invalidInput("'\(source)' is not an ONNX model: the protobuf is malformed (\(error))")
        }
    }

    /// Encodes a `ModelProto` to its wire bytes.
    /// - Throws: `.invalidInput` when the message is too large for protobuf.
    package static func encode(_ model: Onnx_ModelProto) throws(WardenError) -> [UInt8] {
        do {
            return try model.serializedBytes()
        } catch {
            throw .invalidInput("The ONNX model cannot be encoded: \(error)")
        }
    }
}
