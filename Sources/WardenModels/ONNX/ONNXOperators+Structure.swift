import WardenCore
import WardenTensor

/// Shape and structure operators for every element type, including the `Shape → Gather → Unsqueeze
/// → Concat → Reshape` chains that `torch.onnx.export` writes for `x.view(x.size(0), -1)`.
extension ONNXOperators {
    static let structure: [String: Compiler] = [
        "Identity": { _, _ in ONNXKernel { [try $0.value(0)] } },
        "Flatten": { node, _ in
            let axis = try node.int("axis", default: 1)
            return .single { try $0.value(0).applying(Reshape(shape: { try Tensor<Float>.flattenedShape($0, axis: axis) })) }
        },
        "Reshape": { node, opset in try reshape(node, opset: opset) },
        "Transpose": { node, _ in
            let perm = try node.ints("perm")
            return .single { inputs in
                let x = try inputs.value(0)
                return try x.applying(Permute(axes: perm ?? Array((0..<x.shape.count).reversed())))
            }
        },
        "Concat": { node, _ in
            guard let axis = try node.int("axis") else { throw node.error("attribute 'axis' is required") }
            return .single { inputs in try concatenate((0..<inputs.count).compactMap { inputs.values[$0] }, axis: axis, inputs: inputs) }
        },
        "Constant": { node, _ in try constant(node) },
        "Shape": { node, _ in
            let start = try node.int("start"), end = try node.int("end")
            return .single { inputs in
                let shape = try inputs.value(0).shape
                let rank = shape.count
                func clamp(_ value: Int) -> Int { Swift.min(Swift.max(value < 0 ? value + rank : value, 0), rank) }
                let lower = clamp(start ?? 0), upper = clamp(end ?? rank)
                return .int64(Tensor(lower < upper ? shape[lower..<upper].map(Int64.init) : []))
            }
        },
        "Gather": { node, _ in
            let axis = try node.int("axis", default: 0)
            return .single { inputs in
                let indices = try inputs.integers(1)
                return try inputs.value(0).applying(Gather(indices: indices, axis: axis))
            }
        },
        "Unsqueeze": { node, opset in
            let attribute = opset < 13 ? try node.ints("axes") : nil
            return .single { inputs in
                guard let axes = try attribute ?? (inputs.has(1) ? inputs.intList(1) : nil) else { throw inputs.error("axes are required") }
                return try inputs.value(0).applying(Unsqueeze(axes: axes))
            }
        },
        "Squeeze": { node, opset in
            let attribute = opset < 13 ? try node.ints("axes") : nil
            return .single { inputs in
                let axes = try attribute ?? (inputs.has(1) ? inputs.intList(1) : nil)
                return try inputs.value(0).applying(Squeeze(axes: axes))
            }
        },
        "Cast": { node, _ in
            guard let code = try node.int("to") else { throw node.error("attribute 'to' is required") }
            let target = ONNXElementType(code: Int32(code))
            guard target.isSupported || target == .double else {
                throw WardenError.unsupported("Node \(node.label): casting to \(target) is not supported (float, int64, int32, uint8 and bool are)")
            }
            // Doubles are computed as floats: Warden has no float64 tensors.
            return .single { try $0.value(0).cast(to: target == .double ? .float : target) }
        },
        "ConstantOfShape": { node, _ in
            let fill = try node.tensor("value") ?? ONNXValue(Tensor<Float>(0))
            guard fill.count == 1 else { throw node.error("'value' must hold one element, got shape \(fill.shape)") }
            return .single { inputs in
                let shape = try inputs.intList(0)
                try inputs.checkCreated(shape)
                switch fill.storage {
                case .float(let t): return .float(Variable(try Tensor(shape: shape, repeating: t.scalar!)))
                case .int64(let t): return .int64(try Tensor(shape: shape, repeating: t.scalar!))
                case .int32(let t): return .int32(try Tensor(shape: shape, repeating: t.scalar!))
                case .uint8(let t): return .uint8(try Tensor(shape: shape, repeating: t.scalar!))
                case .bool(let t): return .bool(try Tensor(shape: shape, repeating: t.scalar!))
                }
            }
        },
        "Slice": { node, opset in try slice(node, opset: opset) },
        "Pad": { node, opset in try pad(node, opset: opset) },
        "Expand": { _, _ in
            .single { inputs in
                let x = try inputs.value(0)
                let target = try Tensor<Float>.broadcastShape(x.shape, try inputs.intList(1))
                try inputs.checkCreated(target)
                return try x.applying(Expand(shape: target))
            }
        },
    ]

    static func reshape(_ node: ONNXNode, opset: Int) throws -> ONNXKernel {
        let allowZero = try node.int("allowzero", default: 0) != 0
        let attribute = opset < 5 ? try node.ints("shape") : nil
        return .single { inputs in
            let x = try inputs.value(0)
            guard var shape = try attribute ?? (inputs.has(1) ? inputs.intList(1) : nil) else { throw inputs.error("the target shape is required") }
            for (i, size) in shape.enumerated() {
                if size == 0 && !allowZero {
                    guard i < x.shape.count else { throw inputs.error("shape \(shape) copies dimension \(i), which \(x.shape) lacks") }
                    shape[i] = x.shape[i]
                } else if size < -1 {
                    throw inputs.error("shape \(shape) holds \(size)")
                }
            }
            return try x.applying(Reshape(shape: { _ in shape }))
        }
    }

    static func concatenate(_ values: [ONNXRuntimeValue], axis: Int, inputs: ONNXKernelInputs) throws -> ONNXRuntimeValue {
        guard let first = values.first else { throw inputs.error("needs at least one input") }
        guard values.allSatisfy({ $0.elementType == first.elementType }) else {
            throw inputs.error("inputs must share one element type, got \(values.map(\.elementType.description))")
        }
        func join<T: TensorElement>(_ type: T.Type) throws -> Tensor<T> {
            try Tensor.concatenated(values.map { $0.tensor(as: T.self)! }, axis: axis)
        }
        switch first {
        case .float:
            return .float(try Variable.concatenated(values.map { if case .float(let v) = $0 { v } else { Variable(Tensor<Float>(0)) } }, axis: axis))
        case .int64: return .int64(try join(Int64.self))
        case .int32: return .int32(try join(Int32.self))
        case .uint8: return .uint8(try join(UInt8.self))
        case .bool: return .bool(try join(Bool.self))
        }
    }

    static func constant(_ node: ONNXNode) throws -> ONNXKernel {
        let value: ONNXValue
        if let tensor = try node.tensor("value") {
            value = tensor
        } else if let float = try node.float("value_float") {
            value = ONNXValue(Tensor<Float>(float))
        } else if let floats = try node.floats("value_floats") {
            value = ONNXValue(Tensor<Float>(floats))
        } else if node.has("value_int"), let int = try node.int64s("value_int")?.first {
            value = ONNXValue(Tensor<Int64>(int))
        } else if let ints = try node.int64s("value_ints") {
            value = ONNXValue(Tensor<Int64>(ints))
        } else {
            throw WardenError.unsupported("Node \(node.label): only tensor, float(s) and int(s) constants are supported (attributes: \(node.attributeNames.joined(separator: ", ")))")
        }
        return .single { _ in ONNXRuntimeValue(value) }
    }

    static func slice(_ node: ONNXNode, opset: Int) throws -> ONNXKernel {
        let attributes = opset < 10 ? (try node.ints("starts"), try node.ints("ends"), try node.ints("axes")) : (nil, nil, nil)
        return .single { inputs in
            let x = try inputs.value(0)
            let starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
            if opset < 10 {
                guard let s = attributes.0, let e = attributes.1 else { throw inputs.error("starts and ends are required") }
                (starts, ends, axes, steps) = (s, e, attributes.2, nil)
            } else {
                starts = try inputs.intList(1)
                ends = try inputs.intList(2)
                axes = inputs.has(3) ? try inputs.intList(3) : nil
                steps = inputs.has(4) ? try inputs.intList(4) : nil
            }
            let resolvedAxes = axes ?? Array(0..<starts.count)
            guard ends.count == starts.count, resolvedAxes.count == starts.count, (steps?.count ?? starts.count) == starts.count else {
                throw inputs.error("starts \(starts), ends \(ends), axes \(resolvedAxes) and steps \(steps ?? []) must have the same length")
            }
            return try x.applying(Slice(starts: starts, ends: ends, axes: resolvedAxes, steps: steps ?? Array(repeating: 1, count: starts.count)))
        }
    }
}

extension ONNXOperators {
    /// `Pad` in constant mode (what exporters write): negative pads crop, positive ones add `value`.
    static func pad(_ node: ONNXNode, opset: Int) throws -> ONNXKernel {
        let mode = try node.string("mode") ?? "constant"
        guard mode == "constant" else { throw WardenError.unsupported("Node \(node.label): Pad mode '\(mode)' is not supported (constant is)") }
        let attributePads = opset < 11 ? try node.ints("pads") : nil
        let attributeValue = opset < 11 ? try node.float("value", default: 0) : 0
        return .single { inputs in
            let x = try inputs.float(0)
            guard let pads = try attributePads ?? (inputs.has(1) ? inputs.intList(1) : nil) else { throw inputs.error("pads are required") }
            let value = opset < 11 ? attributeValue : try inputs.floatScalar(2) ?? 0
            let rank = x.value.rank
            let axes = opset >= 18 && inputs.has(3) ? try inputs.intList(3).map { $0 < 0 ? $0 + rank : $0 } : Array(0..<rank)
            guard pads.count == 2 * axes.count, axes.allSatisfy({ (0..<rank).contains($0) }) else {
                throw inputs.error("pads \(pads) do not fit a tensor of rank \(rank)")
            }
            var padded = x.shape
            for (i, axis) in axes.enumerated() { padded[axis] += pads[i] + pads[i + axes.count] }
            try inputs.checkCreated(padded)
            var y = x
            for (i, axis) in axes.enumerated() {
                let (begin, end) = (pads[i], pads[i + axes.count])
                if begin < 0 || end < 0 {
                    y = try y.sliced(axis: axis, start: Swift.max(0, -begin), end: y.shape[axis] - Swift.max(0, -end))
                }
                var parts: [Variable] = []
                for size in [Swift.max(0, begin), -1, Swift.max(0, end)] {
                    if size == -1 { parts.append(y); continue }
                    guard size > 0 else { continue }
                    var shape = y.shape
                    shape[axis] = size
                    parts.append(Variable(try Tensor(shape: shape, repeating: value)))
                }
                if parts.count > 1 { y = try Variable.concatenated(parts, axis: axis) }
            }
            return .float(y)
        }
    }
}

/// Reshape to a shape computed from the input's (for `Flatten`) or given (for `Reshape`).
struct Reshape: StructuralOperation {
    let shape: ([Int]) throws -> [Int]
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.reshaped(to: shape(tensor.shape)) }
    func apply(_ variable: Variable) throws -> Variable { try variable.reshaped(to: shape(variable.shape)) }
}

struct Permute: StructuralOperation {
    let axes: [Int]
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.permuted(axes) }
    func apply(_ variable: Variable) throws -> Variable { try variable.permuted(axes) }
}

struct Gather: StructuralOperation {
    let indices: Tensor<Int64>
    let axis: Int
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.gathered(indices: indices, axis: axis) }
    func apply(_ variable: Variable) throws -> Variable { try variable.gathered(indices: indices, axis: axis) }
}

struct Unsqueeze: StructuralOperation {
    let axes: [Int]
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.unsqueezed(axes: axes) }
    func apply(_ variable: Variable) throws -> Variable { try variable.unsqueezed(axes: axes) }
}

struct Squeeze: StructuralOperation {
    let axes: [Int]?
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.squeezed(axes: axes) }
    func apply(_ variable: Variable) throws -> Variable { try variable.squeezed(axes: axes) }
}

struct Expand: StructuralOperation {
    let shape: [Int]
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> { try tensor.broadcast(to: shape).contiguous() }
    func apply(_ variable: Variable) throws -> Variable { try variable.broadcast(to: shape) }
}

struct Slice: StructuralOperation {
    let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
    func apply<T: TensorElement>(_ tensor: Tensor<T>) throws -> Tensor<T> {
        var result = tensor
        for i in starts.indices { result = try result.sliced(axis: axes[i], start: starts[i], end: ends[i], step: steps[i]) }
        return result
    }
    func apply(_ variable: Variable) throws -> Variable {
        var result = variable
        for i in starts.indices { result = try result.sliced(axis: axes[i], start: starts[i], end: ends[i], step: steps[i]) }
        return result
    }
}
