import WardenCore
import WardenKernelsGeneric

/// Differentiable convolution, pooling and batch normalisation.
extension Variable {
    /// See ``Tensor/conv2d(weight:bias:options:)``; differentiable in input, weight and bias.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    public func conv2d(weight: Variable, bias: Variable? = nil, options: Conv2DOptions = Conv2DOptions()) throws -> Variable {
        let x = self
        let value = try x.value.conv2d(weight: weight.value, bias: bias?.value, options: options)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Variable.record(value, inputs) { g in
            let (dx, dw) = try x.value.conv2dBackward(
                weight: weight.value, gradient: g, options: options, input: x.requiresGradient, weight: weight.requiresGradient)
            var result: [Tensor<Float>?] = [dx, dw]
            if let bias { result.append(bias.requiresGradient ? try g.sum(axes: [0, 2, 3]) : nil) }
            return result
        }
    }

    /// ``conv2d(weight:bias:options:)`` followed by ReLU; in one pass when nothing needs a gradient.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    package func conv2d(weight: Variable, bias: Variable?, options: Conv2DOptions, relu: Bool) throws -> Variable {
        guard relu else { return try conv2d(weight: weight, bias: bias, options: options) }
        if requiresGradient || weight.requiresGradient || bias?.requiresGradient == true {
            return try conv2d(weight: weight, bias: bias, options: options).relu()
        }
        return Variable(try value.conv2d(weight: weight.value, bias: bias?.value, options: options, relu: true))
    }

    /// See ``Tensor/maxPool2d(_:)``; the gradient goes to each window's winner.
    /// - Throws: `.invalidInput` for a bad shape or options.
    public func maxPool2d(_ options: Pool2DOptions) throws -> Variable {
        if !requiresGradient { return Variable(try value.maxPool2d(options)) }
        let (output, indices) = try value.maxPool2dWithIndices(options)
        let x = value
        let planes = x.shape[0] * x.shape[1]
        return Variable.record(output, [self]) { g in
            let geometry = try x.poolGeometry(options)
            let dy = g.contiguous()
            let dx = try Tensor<Float>(zeros: x.shape)
            indices.withUnsafeBufferPointer { argmax in
                ConvolutionKernels.maxPoolBackward(geometry, planes: planes, argmax: argmax.baseAddress!, gradient: dy.pointer, dx: dx.pointer)
            }
            return [dx]
        }
    }

    /// See ``Tensor/averagePool2d(_:)``.
    /// - Throws: `.invalidInput` for a bad shape or options.
    public func averagePool2d(_ options: Pool2DOptions) throws -> Variable {
        let x = value
        return Variable.record(try x.averagePool2d(options), [self]) { g in [try x.averagePool2dBackward(options, gradient: g)] }
    }

    /// See ``Tensor/globalAveragePool()``.
    /// - Throws: `.invalidInput` for a tensor of rank < 3.
    public func globalAveragePool() throws -> Variable {
        guard value.rank >= 3 else { throw WardenError.invalidInput("GlobalAveragePool needs a [N, C, …] input, got \(shape)") }
        return try mean(axes: Array(2..<value.rank), keepingDimensions: true)
    }

    /// Batch normalisation with fixed statistics (inference mode), differentiable in the input, scale and bias.
    /// - Throws: `.invalidInput` when a parameter is not `[C]`.
    public func batchNormalized(scale: Variable, bias: Variable, mean: Tensor<Float>, variance: Tensor<Float>, epsilon: Float = 1e-5) throws -> Variable {
        let (batch, channels, inner) = try value.channelLayout(parameters: [scale.value, bias.value, mean, variance])
        let inverse = (variance + epsilon).squareRoot().reciprocal()
        let normalized = try (value - channelView(mean)) * channelView(inverse)
        return try normalizedAffine(normalized, inverseDeviation: inverse, scale: scale, bias: bias, batch: batch, channels: channels, inner: inner, batchStatistics: false)
    }

    /// Batch normalisation with this batch's statistics (training mode). Returns the output and the
    /// batch mean and biased variance, for updating running statistics.
    /// - Throws: `.invalidInput` when a parameter is not `[C]`.
    public func batchNormalizedWithBatchStatistics(scale: Variable, bias: Variable, epsilon: Float = 1e-5) throws -> (output: Variable, mean: Tensor<Float>, variance: Tensor<Float>) {
        let (batch, channels, inner) = try value.channelLayout(parameters: [scale.value, bias.value])
        let axes = [0] + Array(2..<Swift.max(2, value.rank))
        let mean = try value.mean(axes: axes)
        let centered = try value - channelView(mean)
        let variance = try centered.squared().mean(axes: axes)
        let inverse = (variance + epsilon).squareRoot().reciprocal()
        let normalized = try centered * channelView(inverse)
        let output = try normalizedAffine(normalized, inverseDeviation: inverse, scale: scale, bias: bias, batch: batch, channels: channels, inner: inner, batchStatistics: true)
        return (output, mean, variance)
    }

    /// A `[C]` vector shaped `[1, C, 1, …]` to broadcast over this variable's channels.
    func channelView(_ vector: Tensor<Float>) throws -> Tensor<Float> {
        try vector.reshaped(to: [1, vector.count] + [Int](repeating: 1, count: Swift.max(0, value.rank - 2)))
    }

    /// `scale · x̂ + bias` and its pullback; with batch statistics the input gradient also flows
    /// through the mean and variance: `dx = (γ/σ)(g − mean(g) − x̂·mean(g·x̂))`.
    func normalizedAffine(
        _ normalized: Tensor<Float>, inverseDeviation: Tensor<Float>, scale: Variable, bias: Variable, batch: Int, channels: Int,
        inner: Int, batchStatistics: Bool
    ) throws -> Variable {
        let output = try normalized.channelAffine(batch: batch, channels: channels, inner: inner, scale: scale.value.scalars, shift: bias.value.scalars)
        let x = self
        return Variable.record(output, [x, scale, bias]) { g in
            let dy = g.contiguous()
            var sums = [Float](repeating: 0, count: channels)
            var productSums = [Float](repeating: 0, count: channels)
            ReductionKernels.channelSums(batch: batch, channels: channels, inner: inner, x: dy.pointer, y: normalized.pointer, sum: &sums, productSum: &productSums)
            var dx: Tensor<Float>?
            if x.requiresGradient {
                let gamma = scale.value.scalars
                let inverse = inverseDeviation.scalars
                let factor = (0..<channels).map { gamma[$0] * inverse[$0] }
                if batchStatistics {
                    let n = Float(batch * inner)
                    let meanG = try Tensor(shape: [channels], scalars: sums.map { $0 / n })
                    let meanGX = try Tensor(shape: [channels], scalars: productSums.map { $0 / n })
                    let centered = try (dy - x.channelView(meanG)) - normalized * x.channelView(meanGX)
                    dx = try centered.channelAffine(batch: batch, channels: channels, inner: inner, scale: factor, shift: [Float](repeating: 0, count: channels))
                } else {
                    dx = try dy.channelAffine(batch: batch, channels: channels, inner: inner, scale: factor, shift: [Float](repeating: 0, count: channels))
                }
            }
            return [
                dx,
                scale.requiresGradient ? try Tensor(shape: [channels], scalars: productSums) : nil,
                bias.requiresGradient ? try Tensor(shape: [channels], scalars: sums) : nil,
            ]
        }
    }

    /// Inverted dropout for training: zeroes each element with probability `rate` and scales the rest
    /// by `1 / (1 − rate)`, drawing the mask from `generator`.
    public func dropout(rate: Float, generator: inout some RandomNumberGenerator) throws -> Variable {
        guard rate >= 0, rate < 1 else { throw WardenError.invalidInput("Dropout rate \(rate) must be in 0..<1") }
        if rate == 0 { return self }
        let keep = 1 / (1 - rate)
        var mask = [Float](repeating: 0, count: value.count)
        for i in mask.indices where Float.random(in: 0..<1, using: &generator) >= rate { mask[i] = keep }
        let maskTensor = try Tensor(shape: shape, scalars: mask)
        return Variable.record(try value * maskTensor, [self]) { g in [try g * maskTensor] }
    }
}
