import Foundation
import WardenCore
import WardenKernelsGeneric

/// Adam (Kingma & Ba), or AdamW with `decoupledWeightDecay`; PyTorch's update rule and defaults.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Steps taken so far (the bias correction uses it).
    public private(set) var step = 0
    private var moments: [ObjectIdentifier: (first: [Float], second: [Float])] = [:]

    /// - Throws: `.invalidInput` for a negative rate or decay, or betas outside `0..<1`.
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
        decoupledWeightDecay: Bool = false
    ) throws {
        guard learningRate >= 0, weightDecay >= 0, epsilon > 0, (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw WardenError.invalidInput("Adam needs a non-negative learning rate and decay, epsilon > 0 and betas in 0..<1")
        }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor<Float>]) throws {
        let checked = try pairs(parameters, gradients)
        step += 1
        let correction1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
        for (parameter, gradient) in checked {
            let updated = try writableCopy(parameter)
            if updated.count == 0 { continue }
            let key = ObjectIdentifier(parameter)
            // Taken out of the dictionary so the arrays are uniquely owned and update in place.
            var state = moments.removeValue(forKey: key) ?? ([Float](repeating: 0, count: updated.count), [Float](repeating: 0, count: updated.count))
            state.first.withUnsafeMutableBufferPointer { m in
                state.second.withUnsafeMutableBufferPointer { v in
                    OptimizerKernels.adam(
                        count: updated.count, parameter: updated.pointer, gradient: gradient.pointer, first: m.baseAddress!,
                        second: v.baseAddress!, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay, decoupled: decoupledWeightDecay, correction1: correction1, correction2: correction2)
                }
            }
            moments[key] = state
            parameter.value = updated
        }
    }
}

@available(*, unavailable)
extension Adam: Sendable {}
