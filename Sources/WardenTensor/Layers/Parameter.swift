/// A trainable tensor of a layer. Optimisers replace ``value`` in place; identity (the object) is what
/// ties a parameter to its optimiser state and to its variable in a ``ForwardContext``.
public final class Parameter {
    /// The current value.
    public var value: Tensor<Float>
    /// A name for export and messages, such as `dense0.weight`.
    public var name: String

    public init(_ value: Tensor<Float>, name: String) {
        self.value = value
        self.name = name
    }

    /// The element count.
    public var count: Int { value.count }
}

@available(*, unavailable)
extension Parameter: Sendable {}
