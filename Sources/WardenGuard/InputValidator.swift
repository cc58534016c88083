/// Checks an inference request's tensors against the model's schema and the limits: every input
/// present once and known, datatype and shape as declared, batch and element counts within limits,
/// no NaN or infinity, and features inside their known ranges (rejected or clipped by policy).
/// Every refusal names the tensor and the problem.
public struct InputValidator: Sendable {
    /// What to do with a value outside its feature's known range.
    public enum RangePolicy: String, Sendable, CaseIterable {
        /// Refuse the request (400).
        case reject
        /// Clamp the value into the range and run.
        case clip
        /// Ignore the ranges.
        case ignore
    }

    public var schema: ModelSchema
    public var limits: InputLimits
    public var rangePolicy: RangePolicy
    /// Slack around each range, as a share of its width (0.05: 5 % beyond either end is accepted).
    public var rangeTolerance: Double

    public init(schema: ModelSchema, limits: InputLimits = InputLimits(), rangePolicy: RangePolicy = .reject, rangeTolerance: Double = 0.05) {
        self.schema = schema
        self.limits = limits
        self.rangePolicy = rangePolicy
        self.rangeTolerance = rangeTolerance
    }

    /// The validated inputs in the model's order (clipped when the policy says so).
    /// - Throws: ``GuardError`` `.invalidInput` or `.tooLarge` for the first problem found.
    public func validate(_ tensors: [InferenceTensor], model: String) throws(GuardError) -> [InferenceTensor] {
        var byName: [String: InferenceTensor] = [:]
        for tensor in tensors {
            guard schema.input(tensor.name) != nil else {
                throw GuardError.invalid("'\(Self.clean(tensor.name))' is not an input of model '\(model)' (inputs: \(schema.inputs.map(\.name).joined(separator: ", ")))")
            }
            guard byName.updateValue(tensor, forKey: tensor.name) == nil else { throw GuardError.invalid("input '\(Self.clean(tensor.name))' is given twice") }
        }
        var total = 0
        var result: [InferenceTensor] = []
        for spec in schema.inputs {
            guard var tensor = byName[spec.name] else { throw GuardError.invalid("input '\(spec.name)' of model '\(model)' is missing") }
            let count = try limits.elementCount(of: tensor.shape, tensor: spec.name)
            total += count
            guard total <= limits.maxElements else {
                throw GuardError(.tooLarge, "the request holds more than \(limits.maxElements) elements (the request limit)")
            }
            try checkShape(tensor, spec, count: count)
            try checkValues(&tensor, spec)
            result.append(tensor)
        }
        return result
    }

    func checkShape(_ tensor: InferenceTensor, _ spec: TensorSpec, count: Int) throws(GuardError) {
        guard tensor.datatype == spec.datatype else {
            throw GuardError.invalid("input '\(spec.name)' has datatype \(tensor.datatype); the model expects \(spec.datatype)")
        }
        guard tensor.values.count == count else {
            throw GuardError.invalid("input '\(spec.name)' has \(tensor.values.count) values but shape \(InputLimits.text(tensor.shape)) needs \(count)")
        }
        if let declared = spec.shape {
            let fits = declared.count == tensor.shape.count && zip(declared, tensor.shape).allSatisfy { $0 == -1 || $0 == $1 }
            guard fits else {
                throw GuardError.invalid("input '\(spec.name)' has shape \(InputLimits.text(tensor.shape)); the model expects \(spec.shapeDescription)")
            }
        }
        if spec.hasBatchDimension, let rows = tensor.shape.first, rows > limits.maxBatch {
            throw GuardError(.tooLarge, "input '\(spec.name)' has a batch of \(rows) rows; at most \(limits.maxBatch) are accepted")
        }
    }

    func checkValues(_ tensor: inout InferenceTensor, _ spec: TensorSpec) throws(GuardError) {
        guard case .float(var values) = tensor.values else { return }
        for (index, value) in values.enumerated() where !value.isFinite {
            throw GuardError.invalid("input '\(spec.name)' element \(index)\(position(index, tensor.shape)) is \(value.isNaN ? "NaN" : "infinite")")
        }
        let width = tensor.shape.last ?? 0
        guard rangePolicy != .ignore, !spec.ranges.isEmpty, spec.ranges.count == width, width > 0 else { return }
        for index in values.indices {
            let range = spec.ranges[index % width]
            let slack = (range.upperBound - range.lowerBound) * rangeTolerance
            let value = Double(values[index])
            guard value < range.lowerBound - slack || value > range.upperBound + slack else { continue }
            if rangePolicy == .clip {
                values[index] = Float(min(max(value, range.lowerBound), range.upperBound))
            } else {
                throw GuardError.invalid(
                    "input '\(spec.name)' feature \(index % width)\(position(index, tensor.shape)) is \(values[index]), outside the training range \(range.lowerBound)…\(range.upperBound)")
            }
        }
        tensor.values = .float(values)
    }

    /// ` (row 2)` for a flat index into a batched tensor.
    func position(_ index: Int, _ shape: [Int]) -> String {
        guard shape.count >= 2, let width = shape.last, width > 0 else { return "" }
        let perRow = shape.dropFirst().reduce(1, *)
        return perRow > 0 ? " (row \(index / perRow))" : ""
    }

    /// A client-supplied name, shortened and stripped of control characters for messages.
    package static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }
}
