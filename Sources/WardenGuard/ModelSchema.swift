import WardenCore
import WardenModels

/// The inputs and outputs of a served model, as the gateway validates requests against them and as
/// the Open Inference Protocol's model metadata lists them.
public struct ModelSchema: Sendable, Equatable {
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]

    public init(inputs: [TensorSpec], outputs: [TensorSpec]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The metadata key under which a model may record its input ranges:
    /// `{"<input>": [[lower, upper], …]}`, one pair per feature of the last dimension.
    public static let rangesMetadataKey = "warden.input_ranges"

    /// The schema an ONNX model declares: symbolic and unknown dimensions become `-1`; ranges come
    /// from the ``rangesMetadataKey`` metadata entry when present.
    /// - Throws: `.unsupported` for an input that is not a tensor of a type the runtime computes with.
    public init(model: ONNXModel) throws {
        let ranges = Self.ranges(model.metadata(Self.rangesMetadataKey))
        inputs = try model.inputs.map { info in
            guard let type = info.elementType, type.isSupported, let datatype = TensorDatatype(type) else {
                throw WardenError.unsupported("Input '\(info.name)' of '\(model.source)' is \(info.typeDescription); the gateway serves float, int64, int32, uint8 and bool inputs")
            }
            return TensorSpec(name: info.name, datatype: datatype, shape: Self.dimensions(info.shape), ranges: ranges[info.name] ?? [])
        }
        outputs = model.outputs.map { info in
            TensorSpec(name: info.name, datatype: info.elementType.flatMap(TensorDatatype.init) ?? .bytes, shape: Self.dimensions(info.shape))
        }
    }

    static func dimensions(_ shape: [ONNXValueInfo.Dimension]?) -> [Int]? {
        shape?.map { dimension in
            if case .fixed(let size) = dimension { return size }
            return -1
        }
    }

    /// Parses `{"input": [[lo, hi], …]}`; malformed entries are ignored (no range is known then).
    static func ranges(_ text: String?) -> [String: [ClosedRange<Double>]] {
        guard let text, let members = (try? JSONParser(maxDepth: 8, maxBytes: 1 << 20).parse(text))?.objectValue else { return [:] }
        var result: [String: [ClosedRange<Double>]] = [:]
        for (name, value) in members {
            guard let pairs = value.arrayValue else { continue }
            let parsed: [ClosedRange<Double>] = pairs.compactMap { pair in
                guard let bounds = pair.arrayValue, bounds.count == 2, let lower = bounds[0].doubleValue, let upper = bounds[1].doubleValue,
                    lower.isFinite, upper.isFinite, lower <= upper
                else { return nil }
                return lower...upper
            }
            if parsed.count == pairs.count { result[name] = parsed }
        }
        return result
    }

    /// The input named `name`.
    public func input(_ name: String) -> TensorSpec? { inputs.first { $0.name == name } }
}
