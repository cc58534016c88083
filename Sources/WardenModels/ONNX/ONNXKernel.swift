import WardenCore
import WardenTensor

/// A node compiled for running: its attributes are parsed once, when the session is built, so a bad
/// attribute is an error at load time, naming the node.
struct ONNXKernel: Sendable {
    let run: @Sendable (ONNXKernelInputs) throws -> [ONNXRuntimeValue]

    init(_ run: @escaping @Sendable (ONNXKernelInputs) throws -> [ONNXRuntimeValue]) { self.run = run }

    /// A kernel with one output.
    static func single(_ body: @escaping @Sendable (ONNXKernelInputs) throws -> ONNXRuntimeValue) -> ONNXKernel {
        ONNXKernel { [try body($0)] }
    }

    /// A kernel mapping one float input to one float output.
    static func float(_ body: @escaping @Sendable (Variable) throws -> Variable) -> ONNXKernel {
        ONNXKernel { [.float(try body(try $0.float(0)))] }
    }
}

/// The values a node receives, with typed accessors whose errors name the node and the input.
struct ONNXKernelInputs {
    let node: ONNXNode
    let values: [ONNXRuntimeValue?]

    var count: Int { values.count }

    func error(_ message: String) -> WardenError { node.error(message) }

    /// Whether input `index` was given (not omitted with `""` and not past the end).
    func has(_ index: Int) -> Bool { index < values.count && values[index] != nil }

    func value(_ index: Int) throws -> ONNXRuntimeValue {
        guard index < values.count, let value = values[index] else { throw error("input \(index) is missing") }
        return value
    }

    func float(_ index: Int) throws -> Variable {
        let value = try value(index)
        guard case .float(let variable) = value else {
            throw error("input \(index) ('\(node.inputs[index])') must be float, got \(value.elementType)")
        }
        return variable
    }

    func optionalFloat(_ index: Int) throws -> Variable? { has(index) ? try float(index) : nil }

    /// An integer tensor input (int64 or int32) as int64s.
    func integers(_ index: Int) throws -> Tensor<Int64> {
        let value = try value(index)
        guard let tensor = value.int64Tensor(), value.elementType != .bool, value.elementType != .uint8 else {
            throw error("input \(index) ('\(node.inputs[index])') must be int64 or int32, got \(value.elementType)")
        }
        return tensor
    }

    /// An integer vector input as `Int`s (shapes, axes, indices).
    func intList(_ index: Int) throws -> [Int] {
        try integers(index).scalars.map { value in
            guard let small = Int(exactly: value) else { throw error("input \(index) holds \(value), out of range") }
            return small
        }
    }

    /// The most elements an operator may create from a shape given as data (`ConstantOfShape`,
    /// `Expand`, `Pad`): 2²⁸ (1 GiB of floats), so a hostile model cannot ask for all memory.
    static let maximumCreatedElements = 1 << 28

    /// Refuses a shape read from the graph's data that would create more than ``maximumCreatedElements``.
    func checkCreated(_ shape: [Int]) throws {
        var count = 1
        for size in shape {
            guard size >= 0 else { throw error("shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Self.maximumCreatedElements else {
                throw error("shape \(shape) would create more than \(Self.maximumCreatedElements) elements")
            }
            count = product
        }
    }

    /// A one-element float input (`Clip` bounds, `Dropout` ratio), if given.
    func floatScalar(_ index: Int) throws -> Float? {
        guard has(index) else { return nil }
        let value = try float(index).value
        guard let scalar = value.scalar else { throw error("input \(index) must hold one value, got shape \(value.shape)") }
        return scalar
    }
}
