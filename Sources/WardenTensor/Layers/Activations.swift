/// `max(x, 0)`.
public final class ReLU: Layer {
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { input.relu() }
}

/// `x > 0 ? x : alpha·x`.
public final class LeakyReLU: Layer {
    public let alpha: Float
    public init(alpha: Float = 0.01) { self.alpha = alpha }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { input.leakyRelu(alpha: alpha) }
}

/// The logistic function.
public final class Sigmoid: Layer {
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { input.sigmoid() }
}

/// The hyperbolic tangent.
public final class Tanh: Layer {
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { input.tanh() }
}
