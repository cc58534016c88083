import WardenCore
import WardenGuard

/// An Open Inference Protocol (KServe v2) inference request decoded from its JSON:
/// `{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype", "parameters"?, "data"}], "outputs"?: [{"name"}]}`.
/// `data` is row-major, flat or nested. Every malformed part is a one-line ``GuardError`` naming the
/// tensor; shapes are checked against the limits before any element is decoded.
struct InferenceRequest: Sendable {
    var id: String?
    var inputs: [InferenceTensor]
    /// Requested output names; nil = all outputs.
    var outputs: [String]?

    /// Most inputs and requested outputs in one request.
    static let maxTensors = 64

    init(json: JSONValue, limits: InputLimits) throws(GuardError) {
        guard case .object = json else { throw GuardError(.invalidInput, "the request body must be a JSON object with 'inputs'") }
        if let id = json["id"] {
            guard let text = id.stringValue, text.utf8.count <= 256 else { throw GuardError(.invalidInput, "'id' must be a string of at most 256 bytes") }
            self.id = text
        }
        guard let list = json["inputs"]?.arrayValue, !list.isEmpty else {
            throw GuardError(.invalidInput, "'inputs' must be a non-empty list of {name, shape, datatype, data}")
        }
        guard list.count <= Self.maxTensors else { throw GuardError(.tooLarge, "at most \(Self.maxTensors) inputs per request") }
        var total = 0
        inputs = []
        for item in list {
            let tensor = try Self.tensor(item, limits: limits, total: &total)
            inputs.append(tensor)
        }
        if let requested = json["outputs"] {
            guard let items = requested.arrayValue, items.count <= Self.maxTensors else {
                throw GuardError(.invalidInput, "'outputs' must be a list of at most \(Self.maxTensors) {name}")
            }
            outputs = try items.map { item throws(GuardError) in
                guard let name = item["name"]?.stringValue else { throw GuardError(.invalidInput, "each of 'outputs' needs a 'name'") }
                return name
            }
        }
    }

    static func tensor(_ item: JSONValue, limits: InputLimits, total: inout Int) throws(GuardError) -> InferenceTensor {
        guard let name = item["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 256 else {
            throw GuardError(.invalidInput, "each input needs a 'name' (a string of 1–256 bytes)")
        }
        let label = InputValidator.clean(name)
        guard let shapeItems = item["shape"]?.arrayValue else { throw GuardError(.invalidInput, "input '\(label)' needs a 'shape' (a list of integers)") }
        guard shapeItems.count <= limits.maxRank else {
            throw GuardError(.tooLarge, "input '\(label)' has \(shapeItems.count) dimensions; at most \(limits.maxRank) are accepted")
        }
        var shape: [Int] = []
        for dimension in shapeItems {
            guard let value = dimension.intValue else { throw GuardError(.invalidInput, "input '\(label)' has a shape entry that is not an integer") }
            guard value >= 0 else { throw GuardError(.invalidInput, "input '\(label)' has a negative dimension \(value) in its shape") }
            guard value <= Int64(limits.maxElements) else {
                throw GuardError(.tooLarge, "input '\(label)' dimension \(value) exceeds the request limit of \(limits.maxElements) elements")
            }
            shape.append(Int(value))
        }
        let count = try limits.elementCount(of: shape, tensor: label)
        total += count
        guard total <= limits.maxElements else { throw GuardError(.tooLarge, "the request holds more than \(limits.maxElements) elements (the request limit)") }
        guard let typeName = item["datatype"]?.stringValue else { throw GuardError(.invalidInput, "input '\(label)' needs a 'datatype' (FP32, INT64, …)") }
        guard let datatype = TensorDatatype(name: typeName) else {
            throw GuardError(.invalidInput, "input '\(label)' has an unknown datatype '\(InputValidator.clean(typeName))'")
        }
        guard datatype.isSupported else {
            throw GuardError(.invalidInput, "input '\(label)' has datatype \(datatype), which this server does not decode (FP32, INT64, INT32, UINT8, BOOL)")
        }
        if let parameters = item["parameters"], parameters["binary_data_size"] != nil {
            throw GuardError(.invalidInput, "input '\(label)': the binary tensor extension is not supported; send 'data' as JSON")
        }
        guard let data = item["data"], case .array = data else { throw GuardError(.invalidInput, "input '\(label)' needs 'data' (a list, flat or nested)") }
        var scalars: [JSONValue] = []
        scalars.reserveCapacity(count)
        guard flatten(data, into: &scalars, limit: count) else {
            throw GuardError(.invalidInput, "input '\(label)' has more values than shape \(text(shape)) holds (\(count))")
        }
        guard scalars.count == count else {
            throw GuardError(.invalidInput, "input '\(label)' has \(scalars.count) values but shape \(text(shape)) needs \(count)")
        }
        return InferenceTensor(name: name, shape: shape, values: try values(scalars, datatype, label))
    }

    /// Appends the leaves of nested lists; false as soon as there are more than `limit`.
    static func flatten(_ value: JSONValue, into scalars: inout [JSONValue], limit: Int) -> Bool {
        guard case .array(let items) = value else {
            guard scalars.count < limit else { return false }
            scalars.append(value)
            return true
        }
        for item in items where !flatten(item, into: &scalars, limit: limit) { return false }
        return true
    }

    static func values(_ scalars: [JSONValue], _ datatype: TensorDatatype, _ label: String) throws(GuardError) -> InferenceTensor.Values {
        func bad(_ index: Int, _ what: String) -> GuardError {
            GuardError(.invalidInput, "input '\(label)' element \(index) is not \(what) (datatype \(datatype))")
        }
        switch datatype {
        case .fp32:
            var out: [Float] = []
            out.reserveCapacity(scalars.count)
            for (index, scalar) in scalars.enumerated() {
                guard let value = scalar.doubleValue else { throw bad(index, "a number") }
                out.append(Float(value))
            }
            return .float(out)
        case .bool:
            var out: [Bool] = []
            for (index, scalar) in scalars.enumerated() {
                guard let value = scalar.boolValue else { throw bad(index, "true or false") }
                out.append(value)
            }
            return .bool(out)
        default:
            let range: ClosedRange<Int64> =
                switch datatype {
                case .uint8: 0...255
                case .int32: Int64(Int32.min)...Int64(Int32.max)
                default: Int64.min...Int64.max
                }
            var out: [Int64] = []
            out.reserveCapacity(scalars.count)
            for (index, scalar) in scalars.enumerated() {
                guard case .int(let value) = scalar else { throw bad(index, "an integer") }
                guard range.contains(value) else { throw bad(index, "in \(range.lowerBound)…\(range.upperBound)") }
                out.append(value)
            }
            switch datatype {
            case .uint8: return .uint8(out.map { UInt8($0) })
            case .int32: return .int32(out.map { Int32($0) })
            default: return .int64(out)
            }
        }
    }

    static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
