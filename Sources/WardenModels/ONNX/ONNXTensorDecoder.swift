import Foundation
import WardenCore
import WardenFormats
import WardenTensor

/// Turns `TensorProto`s (initialisers, `Constant` values, attributes) into ``ONNXValue``s, reading
/// external data only from files inside the model's folder.
struct ONNXTensorDecoder {
    /// The folder of the model file, for external data; `nil` for a model decoded from memory.
    let directory: String?
    let source: String

    func decode(_ proto: Onnx_TensorProto, what: String) throws -> ONNXValue {
        let label = "\(what) '\(proto.name)' in '\(source)'"
        var shape: [Int] = []
        for dim in proto.dims {
            guard dim >= 0, let size = Int(exactly: dim), size <= Tensor<Float>.maximumElementCount else {
                throw WardenError.invalidInput("\(label) has an invalid dimension \(dim)")
            }
            shape.append(size)
        }
        let count: Int
        do { count = try Tensor<Float>.elementCount(of: shape) } catch {
            throw WardenError.invalidInput("\(label): \(error)")
        }
        if proto.hasSegment { throw WardenError.unsupported("\(label) is segmented; Warden reads whole tensors only") }
        let type = ONNXElementType(code: proto.dataType)
        let raw: Data?
        if proto.dataLocation == .external {
            raw = try externalBytes(proto, label: label)
        } else {
            raw = proto.hasRawData ? proto.rawData : nil
        }
        func check(_ got: Int) throws {
            guard got == count else { throw WardenError.invalidInput("\(label) has shape \(shape) (\(count) elements) but holds \(got)") }
        }
        func fromRaw<T: TensorElement>(_ bytes: Data, as: T.Type) throws -> Tensor<T> {
            let size = MemoryLayout<T>.size
            guard bytes.count == count * size else {
                throw WardenError.invalidInput("\(label) has shape \(shape) of \(type) (\(count * size) bytes) but \(bytes.count) bytes of data")
            }
            return try Tensor<T>(shape: shape, littleEndianBytes: bytes)
        }
        switch type {
        case .float:
            if let raw { return ONNXValue(try fromRaw(raw, as: Float.self)) }
            try check(proto.floatData.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.floatData))
        case .int64:
            if let raw { return ONNXValue(try fromRaw(raw, as: Int64.self)) }
            try check(proto.int64Data.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.int64Data))
        case .int32:
            if let raw { return ONNXValue(try fromRaw(raw, as: Int32.self)) }
            try check(proto.int32Data.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.int32Data))
        case .uint8:
            if let raw { return ONNXValue(try fromRaw(raw, as: UInt8.self)) }
            try check(proto.int32Data.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.int32Data.map { UInt8(truncatingIfNeeded: $0) }))
        case .bool:
            if let raw { return ONNXValue(try fromRaw(raw, as: Bool.self)) }
            try check(proto.int32Data.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.int32Data.map { $0 != 0 }))
        case .int8:
            // Widened to int32 (Warden computes with int32; values are preserved).
            if let raw {
                let bytes = try fromRaw(raw, as: UInt8.self)
                return ONNXValue(try Tensor(shape: shape, scalars: bytes.scalars.map { Int32(Int8(bitPattern: $0)) }))
            }
            try check(proto.int32Data.count)
            return ONNXValue(try Tensor(shape: shape, scalars: proto.int32Data))
        default:
            throw WardenError.unsupported("\(label) has element type \(type); Warden computes with float, int64, int32, int8, uint8 and bool")
        }
    }

    /// The bytes of an externally stored tensor: `location` must name a regular file inside the model's
    /// folder (no absolute paths, no `..`, no symlink out of it); `offset` and `length` must fit it.
    func externalBytes(_ proto: Onnx_TensorProto, label: String) throws -> Data {
        var location: String?
        var offset: Int64 = 0
        var length: Int64?
        for entry in proto.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset":
                guard let value = Int64(entry.value), value >= 0 else { throw WardenError.invalidInput("\(label): external data offset '\(entry.value)' is not a non-negative integer") }
                offset = value
            case "length":
                guard let value = Int64(entry.value), value >= 0 else { throw WardenError.invalidInput("\(label): external data length '\(entry.value)' is not a non-negative integer") }
                length = value
            default: continue
            }
        }
        guard let location, !location.isEmpty else { throw WardenError.invalidInput("\(label) is stored externally but names no location") }
        guard let directory else {
            throw WardenError.invalidInput("\(label) is stored externally in '\(location)', but the model was not loaded from a file")
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !location.contains("\\"), !components.contains(".."), !location.contains("\0") else {
            throw WardenError.invalidInput("\(label): external data location '\(location)' must be a relative path inside the model's folder")
        }
        let path = (directory as NSString).appendingPathComponent(location)
        let resolvedRoot = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        guard resolved.hasPrefix(resolvedRoot.hasSuffix("/") ? resolvedRoot : resolvedRoot + "/") else {
            throw WardenError.invalidInput("\(label): external data '\(location)' resolves outside the model's folder")
        }
        let file: FileSource
        do { file = try FileSource(path: resolved) } catch {
            throw WardenError.invalidInput("\(label): external data '\(location)' cannot be read: \(error.message)")
        }
        let end = length.map { offset + $0 } ?? file.count
        guard offset <= file.count, end <= file.count, end - offset <= Int64(Tensor<Float>.maximumElementCount) * 8 else {
            throw WardenError.invalidInput("\(label): external data range \(offset)..<\(end) does not fit '\(location)' (\(file.count) bytes)")
        }
        return Data(try file.read(offset..<end))
    }
}
