import WardenCore
import WardenKernelsGeneric

/// Stochastic gradient descent with optional momentum (PyTorch's `torch.optim.SGD` update rule).
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private var velocity: [ObjectIdentifier: [Float]] = [:]

    /// - Throws: `.invalidInput` for a negative learning rate, momentum or weight decay.
    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0 else {
            throw WardenError.invalidInput("SGD learning rate, momentum and weight decay must not be negative")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor<Float>]) throws {
        for (parameter, gradient) in try pairs(parameters, gradients) {
            let updated = try writableCopy(parameter)
            if updated.count == 0 { continue }
            let key = ObjectIdentifier(parameter)
            // Taken out of the dictionary so the array is uniquely owned and updates in place.
            var state = momentum > 0 ? velocity.removeValue(forKey: key) ?? [Float](repeating: 0, count: updated.count) : []
            state.withUnsafeMutableBufferPointer { v in
                OptimizerKernels.sgd(
                    count: updated.count, parameter: updated.pointer, gradient: gradient.pointer,
                    velocity: momentum > 0 ? v.baseAddress : nil, learningRate: learningRate, momentum: momentum,
                    weightDecay: weightDecay, nesterov: nesterov)
            }
            if momentum > 0 { velocity[key] = state }
            parameter.value = updated
        }
    }
}

@available(*, unavailable)
extension SGD: Sendable {}
