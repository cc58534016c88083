import WardenCore

/// A value in a differentiable computation: a `Float` tensor plus, when it depends on something that
/// requires a gradient, the operation that made it and how to pull a gradient back through it.
///
/// Build a computation from leaves (`Variable(x, requiresGradient: true)` for inputs you want
/// gradients for, and parameters) with the same operations ``Tensor`` has, then ask the result for
/// ``gradients(withRespectTo:seed:)``. Operations whose inputs need no gradient record nothing, so
/// inference through `Variable`s costs no more than through tensors.
///
/// A graph is used from one task at a time (`Variable` is not `Sendable`); build one per task.
public final class Variable {
    /// The tensor this variable holds.
    public let value: Tensor<Float>
    /// Whether gradients flow to this variable (a leaf that asked for it, or anything computed from one).
    public let requiresGradient: Bool
    let inputs: [Variable]
    let pullback: Pullback?

    /// Maps the gradient of the output to the gradients of the inputs (`nil` where none is needed).
    typealias Pullback = (Tensor<Float>) throws -> [Tensor<Float>?]

    /// A leaf: an input or a parameter.
    public init(_ value: Tensor<Float>, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        inputs = []
        pullback = nil
    }

    private init(value: Tensor<Float>, inputs: [Variable], pullback: @escaping Pullback) {
        self.value = value
        requiresGradient = true
        self.inputs = inputs
        self.pullback = pullback
    }

    /// The result of an operation: recorded only when an input requires a gradient.
    static func record(_ value: Tensor<Float>, _ inputs: [Variable], _ pullback: @escaping Pullback) -> Variable {
        inputs.contains(where: \.requiresGradient) ? Variable(value: value, inputs: inputs, pullback: pullback) : Variable(value)
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// The gradients of this variable with respect to each of `variables`, by reverse-mode
    /// differentiation. `seed` is the gradient of the final objective with respect to this variable
    /// (default: 1 for a one-element variable). A variable this one does not depend on gets zeros.
    /// - Throws: `.invalidInput` without a seed for a variable of more than one element, or with a
    ///   seed of the wrong shape.
    public func gradients(withRespectTo variables: [Variable], seed: Tensor<Float>? = nil) throws -> [Tensor<Float>] {
        let start: Tensor<Float>
        if let seed {
            guard seed.shape == shape else {
                throw WardenError.invalidInput("Gradient seed of shape \(seed.shape) for a value of shape \(shape)")
            }
            start = seed
        } else {
            guard value.count == 1 else {
                throw WardenError.invalidInput("Gradients of a value of shape \(shape) need a seed (it is not a scalar)")
            }
            start = try Tensor(shape: shape, repeating: 1)
        }
        let wanted = Set(variables.map(ObjectIdentifier.init))
        var gradients: [ObjectIdentifier: Tensor<Float>] = [:]
        if requiresGradient { gradients[ObjectIdentifier(self)] = start }
        for node in topologicalOrder().reversed() {
            let id = ObjectIdentifier(node)
            guard let gradient = gradients[id], let pullback = node.pullback else { continue }
            if !wanted.contains(id) { gradients[id] = nil }
            let inputGradients = try pullback(gradient)
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard input.requiresGradient, let inputGradient else { continue }
                guard inputGradient.shape == input.shape else {
                    throw WardenError.internalError("Gradient of shape \(inputGradient.shape) for a value of shape \(input.shape)")
                }
                let key = ObjectIdentifier(input)
                gradients[key] = try gradients[key].map { try $0 + inputGradient } ?? inputGradient
            }
        }
        if !requiresGradient, wanted.contains(ObjectIdentifier(self)) { gradients[ObjectIdentifier(self)] = start }
        return try variables.map { try gradients[ObjectIdentifier($0)] ?? Tensor(zeros: $0.shape) }
    }

    /// The gradient of this variable with respect to one variable.
    /// - Throws: as ``gradients(withRespectTo:seed:)``.
    public func gradient(withRespectTo variable: Variable, seed: Tensor<Float>? = nil) throws -> Tensor<Float> {
        try gradients(withRespectTo: [variable], seed: seed)[0]
    }

    /// The nodes that need gradients, each after all of its inputs (iterative, so deep graphs are fine).
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited: Set<ObjectIdentifier> = []
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            guard node.requiresGradient, visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for input in node.inputs where input.requiresGradient && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}

@available(*, unavailable)
extension Variable: Sendable {}

extension Tensor where Element == Float {
    /// This gradient summed over the dimensions that broadcasting added or stretched, back to `target`.
    package func unbroadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var axes = Array(0..<lead)
        for (axis, size) in target.enumerated() where size == 1 && shape[lead + axis] != 1 { axes.append(lead + axis) }
        return try sum(axes: axes, keepingDimensions: true).reshaped(to: target)
    }
}
