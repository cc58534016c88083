import WardenCore

/// Updates parameters from their gradients. Implementations keep per-parameter state keyed by the
/// parameter object, so pass the same parameters each step.
public protocol Optimizer: AnyObject {
    /// Applies one step.
    /// - Throws: `.invalidInput` when the gradients do not match the parameters.
    func update(_ parameters: [Parameter], gradients: [Tensor<Float>]) throws
}

extension Optimizer {
    /// Checks that gradients pair up with parameters, and returns each pair's value copy and gradient.
    func pairs(_ parameters: [Parameter], _ gradients: [Tensor<Float>]) throws -> [(Parameter, Tensor<Float>)] {
        guard parameters.count == gradients.count else {
            throw WardenError.invalidInput("\(parameters.count) parameters but \(gradients.count) gradients")
        }
        return try zip(parameters, gradients).map { parameter, gradient in
            guard parameter.value.shape == gradient.shape else {
                throw WardenError.invalidInput("Gradient \(gradient.shape) for parameter \(parameter.name) of shape \(parameter.value.shape)")
            }
            return (parameter, gradient.contiguous())
        }
    }

    /// A fresh contiguous copy of the parameter's value, to update in place and store back.
    func writableCopy(_ parameter: Parameter) throws -> Tensor<Float> {
        let source = parameter.value.contiguous()
        return try Tensor.build(shape: source.shape) { out in
            if source.count > 0 { out.baseAddress!.update(from: source.pointer, count: source.count) }
        }
    }
}
