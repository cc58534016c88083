import WardenCore

/// A fully connected layer, `y = x · Wᵀ + b`, with the weight stored `[outputs, inputs]` as in
/// PyTorch (ONNX `Gemm` with `transB = 1`).
public final class Dense: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    /// Glorot-uniform weights and zero biases drawn from `generator`.
    /// - Throws: `.invalidInput` for non-positive sizes.
    public init(inputs: Int, outputs: Int, bias: Bool = true, name: String = "dense", generator: inout some RandomNumberGenerator) throws {
        guard inputs > 0, outputs > 0 else { throw WardenError.invalidInput("Dense layer sizes \(inputs)→\(outputs) must be positive") }
        let limit = (6 / Float(inputs + outputs)).squareRoot()
        weight = Parameter(try .randomUniform([outputs, inputs], low: -limit, high: limit, generator: &generator), name: name + ".weight")
        self.bias = bias ? Parameter(try Tensor(zeros: [outputs]), name: name + ".bias") : nil
    }

    /// A layer with the given weight `[outputs, inputs]` and optional bias `[outputs]`.
    /// - Throws: `.invalidInput` when the shapes do not fit.
    public init(weight: Tensor<Float>, bias: Tensor<Float>?, name: String = "dense") throws {
        guard weight.rank == 2, bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw WardenError.invalidInput("Dense weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        }
        self.weight = Parameter(weight, name: name + ".weight")
        self.bias = bias.map { Parameter($0, name: name + ".bias") }
    }

    public var inputs: Int { weight.value.shape[1] }
    public var outputs: Int { weight.value.shape[0] }
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable {
        guard input.value.rank == 2, input.shape[1] == inputs else {
            throw WardenError.invalidInput("Dense layer \(weight.name) expects [N, \(inputs)] inputs, got \(input.shape)")
        }
        let product = try Variable.matmul(input, context.variable(for: weight), transposeB: true)
        guard let bias else { return product }
        return try product + context.variable(for: bias)
    }
}
