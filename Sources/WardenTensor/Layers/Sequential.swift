/// Layers applied one after another.
public final class Sequential: Layer {
    public var layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable {
        try layers.reduce(input) { try $1.forward($0, context: context) }
    }
}
