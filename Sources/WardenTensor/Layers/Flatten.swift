/// Reshapes to `[d0·…·d(axis−1), rest]` (ONNX `Flatten`, default axis 1).
public final class Flatten: Layer {
    public let axis: Int
    public init(axis: Int = 1) { self.axis = axis }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable { try input.flattened(axis: axis) }
}
