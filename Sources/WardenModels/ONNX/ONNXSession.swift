import WardenCore
import WardenTensor

/// Runs and differentiates an ``ONNXModel``.
///
/// Building a session compiles every node (attributes parsed and checked, operators looked up), so an
/// unsupported operator or a bad attribute is an error before anything runs, naming the node. A
/// session is immutable and can run from several tasks at once. Float values flow as ``Variable``s:
/// inference records nothing, and ``gradients(of:feeds:seed:withRespectTo:)`` or
/// ``differentiableRun(_:feeds:parameters:)`` differentiate the same graph with respect to inputs and
/// initialisers.
public final class ONNXSession: Sendable {
    struct Step: Sendable {
        var node: ONNXNode
        var kernel: ONNXKernel
        /// Slot of each input (`nil` for an omitted optional input).
        var inputs: [Int?]
        /// Slot of each output (`nil` for an output nobody named).
        var outputs: [Int?]
        /// Slots no later step reads, freed after this one.
        var frees: [Int]
    }

    public let model: ONNXModel
    /// Every node, in order (differentiation and intermediate values use these).
    let steps: [Step]
    /// The same graph prepared for plain inference (see ``preparingInference(_:kept:model:)``).
    let inferenceSteps: [Step]
    /// Every slot's value at the start of a run: the initialisers, converted once.
    let initialValues: InitialValues
    let slotCount: Int
    let inputSlots: [(info: ONNXValueInfo, slot: Int)]
    let initializerSlots: [(name: String, slot: Int)]
    let outputSlots: [(name: String, slot: Int)]

    /// Compiles every node of `model`.
    /// - Throws: `.unsupported` naming the operator and the node for an operator Warden does not run,
    ///   `.invalidInput` naming the node for a bad attribute.
    public init(model: ONNXModel) throws {
        self.model = model
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let existing = slots[name] { return existing }
            slots[name] = slots.count
            return slots.count - 1
        }
        inputSlots = model.inputs.map { ($0, slot($0.name)) }
        initializerSlots = model.initializers.keys.sorted().map { ($0, slot($0)) }
        var steps: [Step] = []
        for node in model.nodes {
            let kernel = try ONNXOperators.kernel(for: node, model: model)
            steps.append(Step(
                node: node, kernel: kernel, inputs: node.inputs.map { $0.isEmpty ? nil : slot($0) },
                outputs: node.outputs.map { $0.isEmpty ? nil : slot($0) }, frees: []))
        }
        outputSlots = model.outputs.map { ($0.name, slot($0.name)) }
        let kept = Set(outputSlots.map(\.slot))
        self.steps = Self.freeingAfterLastReader(steps, kept: kept)
        inferenceSteps = Self.freeingAfterLastReader(try Self.preparingInference(steps, kept: kept, model: model), kept: kept)
        slotCount = slots.count
        var initial = [ONNXRuntimeValue?](repeating: nil, count: slots.count)
        for (name, slot) in initializerSlots { initial[slot] = model.initializers[name].map { ONNXRuntimeValue($0) } }
        initialValues = InitialValues(values: initial)
    }

    /// The initialisers as run-time values, made once per session.
    struct InitialValues: @unchecked Sendable {
        // @unchecked: leaf variables that need no gradient, never mutated; runs only read them.
        let values: [ONNXRuntimeValue?]
    }

    /// Each step frees the values no later step reads, except the graph's outputs (`kept`).
    static func freeingAfterLastReader(_ steps: [Step], kept: Set<Int>) -> [Step] {
        var steps = steps
        var lastReader: [Int: Int] = [:]
        for (index, step) in steps.enumerated() {
            steps[index].frees = []
            for case let input? in step.inputs { lastReader[input] = index }
        }
        for (slot, index) in lastReader.sorted(by: { $0.key < $1.key }) where !kept.contains(slot) { steps[index].frees.append(slot) }
        return steps
    }

    /// The graph for plain inference: each `Conv` or `Gemm` whose only reader is a `Relu` becomes one
    /// step computing both, so the activation runs while the product is in registers; a `Conv` (or
    /// `Conv` → `Relu`) whose only reader is a `MaxPool` also pools in that step, image by image while
    /// the convolution is in cache; and each `Gemm` with constant weights multiplies them packed once
    /// (``ONNXOperators/denseGemm(_:weights:relu:)``). Only values no graph output names are fused away.
    static func preparingInference(_ steps: [Step], kept: Set<Int>, model: ONNXModel) throws -> [Step] {
        var readers: [Int: [Int]] = [:]
        for (index, step) in steps.enumerated() {
            for case let input? in step.inputs { readers[input, default: []].append(index) }
        }
        /// The only reader of `step`'s single output, when it is a plain `opType` node with one input
        /// and one output.
        func soleReader(of step: Step, _ opType: String) -> Int? {
            guard step.outputs.count == 1, let output = step.outputs[0], !kept.contains(output), let reader = readers[output],
                reader.count == 1
            else { return nil }
            let next = steps[reader[0]]
            guard next.node.opType == opType, next.node.domain.isEmpty, next.inputs.count == 1,
                next.outputs.count == 1 || next.outputs.dropFirst().allSatisfy({ $0 == nil })
            else { return nil }
            return reader[0]
        }
        var result: [Step] = []
        var removed = Set<Int>()
        for (index, step) in steps.enumerated() where !removed.contains(index) {
            let node = step.node
            guard node.domain.isEmpty, node.opType == "Conv" || node.opType == "Gemm" else {
                result.append(step)
                continue
            }
            var prepared = step
            var last = step
            var fusedRelu = false
            if let relu = soleReader(of: step, "Relu") {
                removed.insert(relu)
                last = steps[relu]
                fusedRelu = true
            }
            var pool: ONNXNode?
            if node.opType == "Conv", let reader = soleReader(of: last, "MaxPool") {
                removed.insert(reader)
                last = steps[reader]
                pool = last.node
            }
            prepared.outputs = last.outputs
            if node.opType == "Conv" {
                // A weight from an initialiser that is not also a graph input (which a feed would replace).
                let constantWeight = node.inputs.count > 1 && model.initializers[node.inputs[1]] != nil
                    && !model.inputs.contains { $0.name == node.inputs[1] }
                if fusedRelu || pool != nil {
                    prepared.kernel = try ONNXOperators.convolution(node, relu: fusedRelu, maxPool: pool, constantWeight: constantWeight)
                }
            } else if let weights = try ONNXOperators.constantGemmWeights(node, model: model) {
                prepared.kernel = try ONNXOperators.denseGemm(node, weights: weights, relu: fusedRelu)
            } else if fusedRelu {
                prepared.kernel = try ONNXOperators.gemm(node, relu: true)
            }
            result.append(prepared)
        }
        return result
    }

    /// Whether every node's operator is one Warden runs (without building a session).
    public static func unsupportedNodes(in model: ONNXModel) -> [ONNXNode] {
        model.nodes.filter { !ONNXOperators.isSupported($0, model: model) }
    }

    /// Runs the model on named inputs.
    /// - Returns: every graph output by name.
    /// - Throws: `.invalidInput` for a missing, unknown or mis-shaped input, or a node that fails on
    ///   these values (the error names the node).
    public func run(_ feeds: [String: ONNXValue]) throws -> [String: ONNXValue] {
        var values = try execute(feeds: feeds.mapValues { ONNXRuntimeValue($0) }, parameters: [:], keepAll: false)
        var result: [String: ONNXValue] = [:]
        for (name, slot) in outputSlots {
            guard let value = values[slot] else { throw WardenError.internalError("Output '\(name)' was not computed") }
            result[name] = value.value
            values[slot] = nil
        }
        return result
    }

    /// Runs the model and returns the named values: graph outputs or any node's output (an
    /// intermediate activation, for representations).
    /// - Throws: as ``run(_:)``, and `.invalidInput` for a name no node computes.
    public func run(_ feeds: [String: ONNXValue], values names: [String]) throws -> [String: ONNXValue] {
        var slots: [String: Int] = [:]
        for step in steps {
            for (name, slot) in zip(step.node.outputs, step.outputs) { if let slot { slots[name] = slot } }
        }
        let wanted = try names.map { name -> (String, Int) in
            guard let slot = slots[name] else { throw WardenError.invalidInput("No node of '\(model.source)' computes a value named '\(name)'") }
            return (name, slot)
        }
        let values = try execute(feeds: feeds.mapValues { ONNXRuntimeValue($0) }, parameters: [:], keepAll: true)
        var result: [String: ONNXValue] = [:]
        for (name, slot) in wanted {
            guard let value = values[slot] else { throw WardenError.internalError("'\(name)' was not computed") }
            result[name] = value.value
        }
        return result
    }

    /// Runs a model with exactly one input on a float tensor.
    /// - Throws: as ``run(_:)``, and `.invalidInput` when the model has more than one input.
    public func run(_ input: Tensor<Float>) throws -> [String: ONNXValue] {
        guard inputSlots.count == 1 else {
            throw WardenError.invalidInput("'\(model.source)' has \(inputSlots.count) inputs (\(inputSlots.map(\.info.name).joined(separator: ", "))); name them")
        }
        return try run([inputSlots[0].info.name: ONNXValue(input)])
    }

    /// Runs the model with float inputs (and, optionally, initialisers) given as variables, returning
    /// the float outputs as variables: build a loss on them and ask it for gradients.
    /// - Parameters:
    ///   - variables: float inputs as variables (make the ones you differentiate with respect to
    ///     `requiresGradient: true`).
    ///   - feeds: other inputs (integer inputs, or floats you do not differentiate).
    ///   - parameters: initialisers to replace by these variables (same shapes), to differentiate
    ///     with respect to weights.
    /// - Throws: as ``run(_:)``, and `.invalidInput` for a parameter that is not a float initialiser of that shape.
    public func differentiableRun(
        _ variables: [String: Variable], feeds: [String: ONNXValue] = [:], parameters: [String: Variable] = [:]
    ) throws -> [String: Variable] {
        var all = feeds.mapValues { ONNXRuntimeValue($0) }
        for (name, variable) in variables { all[name] = .float(variable) }
        let values = try execute(feeds: all, parameters: parameters, keepAll: true)
        var result: [String: Variable] = [:]
        for (name, slot) in outputSlots {
            if case .float(let variable)? = values[slot] { result[name] = variable }
        }
        return result
    }

    /// The gradients of a float output with respect to float inputs and initialisers. For a
    /// non-scalar output the gradient is of `sum(seed ⊙ output)` (`seed` defaults to ones).
    /// - Parameters:
    ///   - output: the graph output to differentiate (default: the first).
    ///   - withRespectTo: names of float graph inputs and float initialisers.
    /// - Returns: the outputs of the run and each gradient by name.
    /// - Throws: `.invalidInput` for an unknown name, a non-float output or input, or a seed of the wrong shape.
    public func gradients(
        of output: String? = nil, feeds: [String: ONNXValue], seed: Tensor<Float>? = nil, withRespectTo names: [String]
    ) throws -> (outputs: [String: ONNXValue], gradients: [String: Tensor<Float>]) {
        let target = output ?? outputSlots.first?.name ?? ""
        guard outputSlots.contains(where: { $0.name == target }) else {
            throw WardenError.invalidInput("'\(model.source)' has no output named '\(target)'")
        }
        var variables: [String: Variable] = [:]
        var parameters: [String: Variable] = [:]
        var others = feeds
        for name in names {
            if let feed = feeds[name] {
                guard let tensor = feed.floatTensor else { throw WardenError.invalidInput("Input '\(name)' is \(feed.elementType); only float inputs have gradients") }
                variables[name] = Variable(tensor, requiresGradient: true)
                others[name] = nil
            } else if let initializer = model.initializers[name] {
                guard let tensor = initializer.floatTensor else {
                    throw WardenError.invalidInput("Initialiser '\(name)' is \(initializer.elementType); only float initialisers have gradients")
                }
                parameters[name] = Variable(tensor, requiresGradient: true)
            } else {
                throw WardenError.invalidInput("'\(name)' is neither an input fed to '\(model.source)' nor one of its initialisers")
            }
        }
        var all = others.mapValues { ONNXRuntimeValue($0) }
        for (name, variable) in variables { all[name] = .float(variable) }
        let values = try execute(feeds: all, parameters: parameters, keepAll: true)
        var outputs: [String: ONNXValue] = [:]
        for (name, slot) in outputSlots { if let value = values[slot] { outputs[name] = value.value } }
        guard let slot = outputSlots.first(where: { $0.name == target })?.slot, case .float(let result)? = values[slot] else {
            throw WardenError.invalidInput("Output '\(target)' of '\(model.source)' is not float; it has no gradient")
        }
        let leaves = names.map { variables[$0] ?? parameters[$0]! }
        let start = try seed ?? Tensor<Float>.ones(result.shape)
        let gradients = try result.gradients(withRespectTo: leaves, seed: start)
        return (outputs, Dictionary(uniqueKeysWithValues: zip(names, gradients)))
    }

    /// Runs every step, returning the slots (all of them when `keepAll`, else the outputs).
    func execute(feeds: [String: ONNXRuntimeValue], parameters: [String: Variable], keepAll: Bool) throws -> [ONNXRuntimeValue?] {
        var values = initialValues.values
        for (info, slot) in inputSlots {
            guard let feed = feeds[info.name] else {
                throw WardenError.invalidInput("'\(model.source)' needs the input '\(info.name)' (\(info.typeDescription))")
            }
            if let type = info.elementType, type != feed.elementType {
                throw WardenError.invalidInput("Input '\(info.name)' of '\(model.source)' must be \(type), got \(feed.elementType)")
            }
            guard info.accepts(feed.shape) else {
                throw WardenError.invalidInput("Input '\(info.name)' of '\(model.source)' must have shape \(info.typeDescription), got \(feed.shape)")
            }
            values[slot] = feed
        }
        for name in feeds.keys where !inputSlots.contains(where: { $0.info.name == name }) {
            throw WardenError.invalidInput("'\(model.source)' has no input named '\(name)' (inputs: \(inputSlots.map(\.info.name).joined(separator: ", ")))")
        }
        for (name, slot) in initializerSlots where !parameters.isEmpty {
            if let parameter = parameters[name] {
                guard let initial = model.initializers[name], initial.elementType == .float, initial.shape == parameter.shape else {
                    throw WardenError.invalidInput("'\(name)' is not a float initialiser of shape \(parameter.shape) in '\(model.source)'")
                }
                values[slot] = .float(parameter)
            }
        }
        for name in parameters.keys where model.initializers[name] == nil {
            throw WardenError.invalidInput("'\(model.source)' has no initialiser named '\(name)'")
        }
        for step in keepAll ? steps : inferenceSteps {
            let inputs = step.inputs.map { slot in slot.flatMap { values[$0] } }
            let produced: [ONNXRuntimeValue]
            do {
                produced = try step.kernel.run(ONNXKernelInputs(node: step.node, values: inputs))
            } catch let error as WardenError where !error.message.hasPrefix("Node ") {
                throw WardenError(code: error.code, message: "Node \(step.node.label): \(error.message)", cause: error)
            }
            for (index, slot) in step.outputs.enumerated() {
                guard let slot else { continue }
                guard index < produced.count else {
                    throw WardenError.unsupported("Node \(step.node.label): output \(index) ('\(step.node.outputs[index])') is not produced by Warden's \(step.node.opType)")
                }
                values[slot] = produced[index]
            }
            if !keepAll { for slot in step.frees { values[slot] = nil } }
        }
        return values
    }
}
