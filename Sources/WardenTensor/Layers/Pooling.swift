/// Max pooling over `[N, C, H, W]`.
public final class MaxPool2D: Layer {
    public let options: Pool2DOptions
    public init(_ options: Pool2DOptions) { self.options = options }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { try input.maxPool2d(options) }
}

/// Average pooling over `[N, C, H, W]`.
public final class AveragePool2D: Layer {
    public let options: Pool2DOptions
    public init(_ options: Pool2DOptions) { self.options = options }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { try input.averagePool2d(options) }
}

/// The mean over each channel's plane: `[N, C, H, W]` → `[N, C, 1, 1]`.
public final class GlobalAveragePool2D: Layer {
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { try input.globalAveragePool() }
}
