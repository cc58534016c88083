import WardenCore

/// A 2-D convolution layer over `[N, C, H, W]` inputs, weight `[outputs, inputs/groups, kH, kW]`.
public final class Conv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let options: Conv2DOptions

    /// Glorot-uniform weights and zero biases drawn from `generator`.
    /// - Throws: `.invalidInput` for non-positive sizes or channels that do not divide into groups.
    public init(
        inputChannels: Int, outputChannels: Int, kernel: [Int], options: Conv2DOptions = Conv2DOptions(), bias: Bool = true,
        name: String = "conv", generator: inout some RandomNumberGenerator
    ) throws {
        try options.validate()
        guard inputChannels > 0, outputChannels > 0, kernel.count == 2, kernel.allSatisfy({ $0 > 0 }),
            inputChannels % options.groups == 0, outputChannels % options.groups == 0
        else {
            throw WardenError.invalidInput("Conv2D \(inputChannels)→\(outputChannels) kernel \(kernel) groups \(options.groups) is not valid")
        }
        let fanIn = inputChannels / options.groups * kernel[0] * kernel[1]
        let fanOut = outputChannels / options.groups * kernel[0] * kernel[1]
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        weight = Parameter(
            try .randomUniform([outputChannels, inputChannels / options.groups] + kernel, low: -limit, high: limit, generator: &generator),
            name: name + ".weight")
        self.bias = bias ? Parameter(try Tensor(zeros: [outputChannels]), name: name + ".bias") : nil
        self.options = options
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable {
        try input.conv2d(weight: context.variable(for: weight), bias: bias.map(context.variable(for:)), options: options)
    }
}
