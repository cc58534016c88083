import WardenCore
import WardenTensor

/// The `ai.onnx.ml` operators that skl2onnx writes for linear models, scalers and classifier labels.
extension ONNXOperators {
    static let classicalML: [String: Compiler] = [
        "LinearClassifier": { node, _ in try linearClassifier(node) },
        "LinearRegressor": { node, _ in try linearRegressor(node) },
        "Normalizer": { node, _ in try normalizer(node) },
        "Scaler": { node, _ in try scaler(node) },
        "ArrayFeatureExtractor": { _, _ in
            .single { inputs in
                let x = try inputs.value(0)
                let indices = try inputs.integers(1)
                let flat = try indices.reshaped(to: [indices.count])
                let picked = try x.applying(Gather(indices: flat, axis: -1))
                return x.shape.count == 1 ? try picked.applying(Reshape(shape: { _ in [1, indices.count] })) : picked
            }
        },
    ]

    /// A float `[N, F]` matrix from a float or integer input (rank 1 is one row).
    static func features(_ inputs: ONNXKernelInputs) throws -> Variable {
        let value = try inputs.value(0)
        let x: Variable
        switch value {
        case .float(let v): x = v
        default: x = Variable(value.value.convertedToFloat())
        }
        if x.value.rank == 1 { return try x.reshaped(to: [1, x.shape[0]]) }
        guard x.value.rank == 2 else { throw inputs.error("input must be [N, features], got \(x.shape)") }
        return x
    }

    /// `x · Wᵀ + b` for `coefficients` stored row-major `[targets, features]`.
    static func linear(_ node: ONNXNode, targets: Int) throws -> (Tensor<Float>, Tensor<Float>) {
        guard let coefficients = try node.floats("coefficients"), targets > 0, !coefficients.isEmpty, coefficients.count % targets == 0 else {
            throw node.error("coefficients must hold a multiple of \(targets) values")
        }
        let intercepts = try node.floats("intercepts") ?? [Float](repeating: 0, count: targets)
        guard intercepts.count == targets else { throw node.error("\(intercepts.count) intercepts for \(targets) targets") }
        return (try Tensor(shape: [targets, coefficients.count / targets], scalars: coefficients), Tensor(intercepts))
    }

    static func scores(_ x: Variable, weight: Tensor<Float>, bias: Tensor<Float>, inputs: ONNXKernelInputs) throws -> Variable {
        guard x.shape[1] == weight.shape[1] else { throw inputs.error("input has \(x.shape[1]) features, the coefficients \(weight.shape[1])") }
        return try Variable.matmul(x, Variable(weight), transposeB: true) + Variable(bias)
    }

    static func linearClassifier(_ node: ONNXNode) throws -> ONNXKernel {
        if try node.strings("classlabels_strings") != nil {
            throw WardenError.unsupported("Node \(node.label): string class labels are not supported (Warden has no string tensors)")
        }
        let labels = try node.int64s("classlabels_ints") ?? []
        let targets = try node.floats("intercepts")?.count ?? labels.count
        guard targets >= 2 else {
            throw WardenError.unsupported("Node \(node.label): a single-score binary LinearClassifier is not supported (skl2onnx writes two rows)")
        }
        guard labels.isEmpty || labels.count == targets else { throw node.error("\(labels.count) class labels for \(targets) score rows") }
        let (weight, bias) = try linear(node, targets: targets)
        let transform = try node.string("post_transform") ?? "NONE"
        guard ["NONE", "SOFTMAX", "LOGISTIC"].contains(transform) else {
            throw WardenError.unsupported("Node \(node.label): post_transform \(transform) is not supported (NONE, SOFTMAX, LOGISTIC are)")
        }
        return ONNXKernel { inputs in
            let raw = try scores(try features(inputs), weight: weight, bias: bias, inputs: inputs)
            let winners = try raw.value.argmax(axis: 1).scalars.map { labels.isEmpty ? $0 : labels[Int($0)] }
            let transformed = switch transform {
            case "SOFTMAX": try raw.softmax(axis: 1)
            case "LOGISTIC": raw.sigmoid()
            default: raw
            }
            return [.int64(Tensor(winners)), .float(transformed)]
        }
    }

    static func linearRegressor(_ node: ONNXNode) throws -> ONNXKernel {
        let targets = try node.int("targets", default: 1)
        try node.refuse("post_transform", unless: { if case .string("NONE") = $0 { true } else { false } }, "only post_transform NONE is supported")
        let (weight, bias) = try linear(node, targets: targets)
        return .single { inputs in .float(try scores(try features(inputs), weight: weight, bias: bias, inputs: inputs)) }
    }

    static func normalizer(_ node: ONNXNode) throws -> ONNXKernel {
        let norm = try node.string("norm") ?? "MAX"
        guard ["MAX", "L1", "L2"].contains(norm) else { throw node.error("norm '\(norm)' is not MAX, L1 or L2") }
        return .single { inputs in
            let x = try features(inputs)
            let scale: Variable = switch norm {
            case "L1": try x.abs().sum(axes: [1], keepingDimensions: true)
            case "L2": try x.squared().sum(axes: [1], keepingDimensions: true).squareRoot()
            default: try rowMaximum(x)
            }
            return .float(try x / scale)
        }
    }

    /// Each row's largest value `[N, 1]`, differentiable: the gradient goes to the row's first maximum.
    static func rowMaximum(_ x: Variable) throws -> Variable {
        let (rows, columns) = (x.shape[0], x.shape[1])
        let values = x.value.scalars
        var mask = [Float](repeating: 0, count: values.count)
        for row in 0..<rows where columns > 0 {
            let slice = values[(row * columns)..<((row + 1) * columns)]
            if let top = slice.indices.max(by: { slice[$0] < slice[$1] || (slice[$0] == slice[$1] && $0 > $1) }) { mask[top] = 1 }
        }
        return try (x * Variable(try Tensor(shape: x.shape, scalars: mask))).sum(axes: [1], keepingDimensions: true)
    }

    static func scaler(_ node: ONNXNode) throws -> ONNXKernel {
        let offset = Tensor(try node.floats("offset") ?? [0])
        let scale = Tensor(try node.floats("scale") ?? [1])
        return .single { inputs in
            let x = try features(inputs)
            for parameter in [offset, scale] where parameter.count != 1 && parameter.count != x.shape[1] {
                throw inputs.error("offset/scale of \(parameter.count) values for \(x.shape[1]) features")
            }
            return .float(try (x - Variable(offset)) * Variable(scale))
        }
    }
}
