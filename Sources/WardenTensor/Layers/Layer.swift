/// A building block of a model: maps a differentiable input to an output and owns its parameters.
///
/// Conformers are classes (parameters and running statistics change during training). `forward`
/// must use ``ForwardContext/variable(for:)`` for every parameter so gradients reach it, and must
/// behave as inference when `context.isTraining` is false.
public protocol Layer: AnyObject {
    /// The trainable parameters, in a stable order (the optimiser and exporters rely on it).
    var parameters: [Parameter] { get }

    /// Runs the layer.
    /// - Throws: `.invalidInput` when the input shape does not fit the layer.
    func forward(_ input: Variable, context: ForwardContext) throws -> Variable
}

extension Layer {
    /// Runs the layer in inference mode on a tensor.
    /// - Throws: `.invalidInput` when the input shape does not fit the layer.
    public func callAsFunction(_ input: Tensor<Float>) throws -> Tensor<Float> {
        try forward(Variable(input), context: ForwardContext(training: false)).value
    }

    /// The total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
