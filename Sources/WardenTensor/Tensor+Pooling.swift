import WardenCore
import WardenKernelsGeneric

/// Max, average and global-average pooling over `[N, C, H, W]` tensors.
extension Tensor where Element == Float {
    /// The window geometry and padded extent for pooling this tensor.
    func poolGeometry(_ options: Pool2DOptions) throws -> WindowGeometry {
        try Self.poolGeometry(shape: shape, options)
    }

    /// The window geometry for pooling a tensor of shape `shape` (`[N, C, H, W]`).
    static func poolGeometry(shape: [Int], _ options: Pool2DOptions) throws -> WindowGeometry {
        try options.validate()
        guard shape.count == 4 else { throw WardenError.invalidInput("2-D pooling needs a [N, C, H, W] input, got \(shape)") }
        let outH = try Conv2DPlan.outputSize(
            shape[2], kernel: options.kernel[0], stride: options.strides[0], padBegin: options.pads[0], padEnd: options.pads[2],
            dilation: options.dilations[0], ceil: options.ceilMode)
        let outW = try Conv2DPlan.outputSize(
            shape[3], kernel: options.kernel[1], stride: options.strides[1], padBegin: options.pads[1], padEnd: options.pads[3],
            dilation: options.dilations[1], ceil: options.ceilMode)
        return WindowGeometry(
            channels: shape[1], height: shape[2], width: shape[3], kernelHeight: options.kernel[0], kernelWidth: options.kernel[1],
            strideHeight: options.strides[0], strideWidth: options.strides[1], padTop: options.pads[0], padLeft: options.pads[1],
            dilationHeight: options.dilations[0], dilationWidth: options.dilations[1], outputHeight: outH, outputWidth: outW)
    }

    /// The output shape of ``maxPool2d(_:)`` for an input of shape `input`.
    /// - Throws: `.invalidInput` for a bad shape or options.
    package static func maxPool2dOutputShape(input: [Int], options: Pool2DOptions) throws -> [Int] {
        let g = try poolGeometry(shape: input, options)
        return [input[0], input[1], g.outputHeight, g.outputWidth]
    }

    /// Max pooling of `planes` contiguous planes with geometry `g`: 2 × 2 windows with stride 2 inside
    /// the image (the usual CNN pool) go to the SIMD kernel of `kernels`, which gives the same values
    /// and winners as the general kernel.
    static func maxPoolPlanes(
        _ g: WindowGeometry, planes: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int32>?, kernels: KernelSet
    ) {
        let pairs = g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2 && g.padTop == 0
            && g.padLeft == 0 && g.dilationHeight == 1 && g.dilationWidth == 1 && 2 * g.outputHeight <= g.height
            && 2 * g.outputWidth <= g.width
        if pairs {
            kernels.maxPool2x2(planes, g.height, g.width, g.outputHeight, g.outputWidth, x, out, argmax)
        } else {
            ConvolutionKernels.maxPool(g, planes: planes, x: x, out: out, argmax: argmax)
        }
    }

    /// Max pooling (ONNX `MaxPool`); padding never wins.
    /// - Throws: `.invalidInput` for a bad shape or options.
    public func maxPool2d(_ options: Pool2DOptions) throws -> Tensor {
        try maxPool2d(options, winners: false).output
    }

    /// Max pooling and, per output, the index in its plane of the input that won.
    package func maxPool2dWithIndices(_ options: Pool2DOptions) throws -> (output: Tensor, indices: [Int32]) {
        let (output, indices) = try maxPool2d(options, winners: true)
        return (output, indices ?? [])
    }

    /// Max pooling, split over threads by planes, with the winners' indices when asked for.
    func maxPool2d(_ options: Pool2DOptions, winners: Bool) throws -> (output: Tensor, indices: [Int32]?) {
        let g = try poolGeometry(options)
        let x = contiguous()
        let planes = shape[0] * shape[1]
        let (inPlane, outPlane) = (g.height * g.width, g.outputHeight * g.outputWidth)
        let outShape = [shape[0], shape[1], g.outputHeight, g.outputWidth]
        var indices = winners ? [Int32](repeating: -1, count: try Self.elementCount(of: outShape)) : nil
        let threads = planes * outPlane * g.kernelHeight * g.kernelWidth < 1 << 17 ? 1 : TensorRuntime.threads
        let kernels = TensorRuntime.kernels
        let output = try Tensor.build(shape: outShape) { out in
            let target = UncheckedMutablePointer(out.baseAddress!), source = UncheckedPointer(UnsafePointer(x.pointer))
            func run(_ argmax: UncheckedMutablePointer<Int32>?) {
                Parallel.forEachRange(count: planes, threads: threads) { range in
                    let (input, output) = (source.pointer + range.lowerBound * inPlane, target.pointer + range.lowerBound * outPlane)
                    let winners = argmax.map { $0.pointer + range.lowerBound * outPlane }
                    Tensor.maxPoolPlanes(g, planes: range.count, x: input, out: output, argmax: winners, kernels: kernels)
                }
            }
            if indices == nil {
                run(nil)
            } else {
                indices!.withUnsafeMutableBufferPointer { run(UncheckedMutablePointer($0.baseAddress!)) }
            }
        }
        return (output, indices)
    }

    /// Average pooling (ONNX `AveragePool`).
    /// - Throws: `.invalidInput` for a bad shape or options.
    public func averagePool2d(_ options: Pool2DOptions) throws -> Tensor {
        let g = try poolGeometry(options)
        let x = contiguous()
        return try Tensor.build(shape: [shape[0], shape[1], g.outputHeight, g.outputWidth]) { out in
            ConvolutionKernels.averagePool(
                g, planes: shape[0] * shape[1], padBottom: options.pads[2], padRight: options.pads[3],
                countIncludePad: options.countIncludePad, x: x.pointer, gradient: nil, out: out.baseAddress!)
        }
    }

    /// The input gradient of ``averagePool2d(_:)`` for an input of this tensor's shape.
    package func averagePool2dBackward(_ options: Pool2DOptions, gradient: Tensor) throws -> Tensor {
        let g = try poolGeometry(options)
        let dy = gradient.contiguous()
        let dx = try Tensor(zeros: shape)
        ConvolutionKernels.averagePool(
            g, planes: shape[0] * shape[1], padBottom: options.pads[2], padRight: options.pads[3],
            countIncludePad: options.countIncludePad, x: nil, gradient: dy.pointer, out: dx.pointer)
        return dx
    }

    /// The mean over every dimension after the first two (ONNX `GlobalAveragePool`): `[N, C, …]` → `[N, C, 1, …]`.
    /// - Throws: `.invalidInput` for a tensor of rank < 3.
    public func globalAveragePool() throws -> Tensor {
        guard rank >= 3 else { throw WardenError.invalidInput("GlobalAveragePool needs a [N, C, …] input, got \(shape)") }
        return try mean(axes: Array(2..<rank), keepingDimensions: true)
    }

    /// Batch normalisation with given statistics (ONNX `BatchNormalization`, inference): channel axis 1,
    /// `y = scale · (x − mean) / √(variance + ε) + bias`.
    /// - Throws: `.invalidInput` when a parameter is not `[C]`.
    public func batchNormalized(scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        let (batch, channels, inner) = try channelLayout(parameters: [scale, bias, mean, variance])
        let gamma = scale.scalars, beta = bias.scalars, mu = mean.scalars, sigma2 = variance.scalars
        var a = [Float](repeating: 0, count: channels)
        var b = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            a[c] = gamma[c] / (sigma2[c] + epsilon).squareRoot()
            b[c] = beta[c] - mu[c] * a[c]
        }
        return try channelAffine(batch: batch, channels: channels, inner: inner, scale: a, shift: b)
    }

    /// `(N, C, H·W·…)` for a tensor with channels on axis 1, checking per-channel parameters.
    func channelLayout(parameters: [Tensor]) throws -> (Int, Int, Int) {
        guard rank >= 2 else { throw WardenError.invalidInput("Batch normalisation needs a [N, C, …] input, got \(shape)") }
        let channels = shape[1]
        for parameter in parameters where parameter.shape != [channels] {
            throw WardenError.invalidInput("Batch normalisation parameter \(parameter.shape) must be [\(channels)] for input \(shape)")
        }
        return (shape[0], channels, shape[2...].reduce(1, *))
    }

    /// `x · scale[c] + shift[c]` per channel.
    func channelAffine(batch: Int, channels: Int, inner: Int, scale: [Float], shift: [Float]) throws -> Tensor {
        let x = contiguous()
        return try Tensor.build(shape: shape) { out in
            ReductionKernels.channelAffine(batch: batch, channels: channels, inner: inner, x: x.pointer, scale: scale, shift: shift, out: out.baseAddress!)
        }
    }
}
