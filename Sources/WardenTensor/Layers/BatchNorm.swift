import WardenCore

/// Batch normalisation over channel axis 1 of `[N, C]` or `[N, C, H, W]`: batch statistics in
/// training (updating running statistics, PyTorch-style momentum and unbiased running variance),
/// running statistics in inference.
public final class BatchNorm: Layer {
    public let scale: Parameter
    public let bias: Parameter
    /// Running statistics used in inference (ONNX `BatchNormalization` `input_mean`, `input_var`).
    public var runningMean: Tensor<Float>
    public var runningVariance: Tensor<Float>
    public let momentum: Float
    public let epsilon: Float

    /// - Throws: `.invalidInput` for a non-positive channel count or a momentum outside 0…1.
    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, name: String = "batchnorm") throws {
        guard channels > 0, momentum >= 0, momentum <= 1 else {
            throw WardenError.invalidInput("BatchNorm needs positive channels and momentum in 0…1, got \(channels), \(momentum)")
        }
        scale = Parameter(try .ones([channels]), name: name + ".scale")
        bias = Parameter(try Tensor(zeros: [channels]), name: name + ".bias")
        runningMean = try Tensor(zeros: [channels])
        runningVariance = try .ones([channels])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var parameters: [Parameter] { [scale, bias] }

    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable {
        let gamma = context.variable(for: scale)
        let beta = context.variable(for: bias)
        guard context.isTraining else {
            return try input.batchNormalized(scale: gamma, bias: beta, mean: runningMean, variance: runningVariance, epsilon: epsilon)
        }
        let (output, mean, variance) = try input.batchNormalizedWithBatchStatistics(scale: gamma, bias: beta, epsilon: epsilon)
        let n = Float(input.value.count / Swift.max(1, input.shape[1]))
        let unbiased = n > 1 ? variance * (n / (n - 1)) : variance
        runningMean = try runningMean * (1 - momentum) + mean * momentum
        runningVariance = try runningVariance * (1 - momentum) + unbiased * momentum
        return output
    }
}
