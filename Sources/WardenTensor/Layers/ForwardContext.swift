/// One forward pass: training or inference mode, the seeded generator for dropout, and the leaf
/// ``Variable`` standing for each ``Parameter`` (so gradients can be asked for afterwards).
public final class ForwardContext {
    /// Training mode: dropout is active and batch normalisation uses (and updates) batch statistics.
    public let isTraining: Bool
    /// Whether parameter variables require gradients (default: in training mode). Leave it off to get
    /// only input gradients (adversarial attacks) without computing weight gradients.
    public let differentiatesParameters: Bool
    /// Draws dropout masks.
    public var generator: SeededRandomGenerator
    private var variables: [ObjectIdentifier: Variable] = [:]

    public init(training: Bool, seed: UInt64 = 0, differentiatingParameters: Bool? = nil) {
        isTraining = training
        differentiatesParameters = differentiatingParameters ?? training
        generator = SeededRandomGenerator(seed: seed)
    }

    /// The variable for a parameter in this pass (the same one each time it is asked for).
    public func variable(for parameter: Parameter) -> Variable {
        let key = ObjectIdentifier(parameter)
        if let existing = variables[key] { return existing }
        let variable = Variable(parameter.value, requiresGradient: differentiatesParameters)
        variables[key] = variable
        return variable
    }

    /// The gradients of a scalar `loss` with respect to `parameters` (zeros for any this pass did not use).
    /// - Throws: `.invalidInput` when `loss` is not a scalar.
    public func gradients(of loss: Variable, for parameters: [Parameter]) throws -> [Tensor<Float>] {
        try loss.gradients(withRespectTo: parameters.map(variable(for:)))
    }
}

@available(*, unavailable)
extension ForwardContext: Sendable {}
