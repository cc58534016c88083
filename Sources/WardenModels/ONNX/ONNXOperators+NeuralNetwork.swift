import WardenCore
import WardenTensor

/// Convolution, pooling, batch normalisation and dropout (inference semantics).
extension ONNXOperators {
    static let neuralNetwork: [String: Compiler] = [
        "Conv": { node, _ in try convolution(node) },
        "MaxPool": { node, _ in try pooling(node, max: true) },
        "AveragePool": { node, _ in try pooling(node, max: false) },
        "GlobalAveragePool": { _, _ in .float { try $0.globalAveragePool() } },
        "BatchNormalization": { node, opset in try batchNormalization(node, opset: opset) },
        "Dropout": { node, opset in try dropout(node, opset: opset) },
    ]

    /// The window attributes shared by `Conv` and the pooling operators.
    struct WindowAttributes: Sendable {
        var kernel: [Int]?
        var strides: [Int]?
        var pads: [Int]?
        var dilations: [Int]?
        var autoPad: String

        init(_ node: ONNXNode) throws {
            kernel = try node.ints("kernel_shape")
            strides = try node.ints("strides")
            pads = try node.ints("pads")
            dilations = try node.ints("dilations")
            autoPad = try node.string("auto_pad") ?? "NOTSET"
            guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
                throw node.error("auto_pad '\(autoPad)' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER")
            }
        }

        /// Strides, pads (ONNX order: begins then ends) and dilations for `sizes` spatial dimensions
        /// and a kernel, lifted to 2-D (`[1, …]`) for 1-D windows.
        func resolve(node: ONNXNode, sizes: [Int], kernel: [Int]) throws -> (strides: [Int], pads: [Int], dilations: [Int], kernel: [Int]) {
            let d = sizes.count
            let strides = self.strides ?? Array(repeating: 1, count: d)
            let dilations = self.dilations ?? Array(repeating: 1, count: d)
            guard strides.count == d, dilations.count == d, kernel.count == d else {
                throw node.error("strides \(strides), dilations \(dilations) and kernel \(kernel) must each have \(d) entries")
            }
            var pads = self.pads ?? Array(repeating: 0, count: 2 * d)
            switch autoPad {
            case "VALID": pads = Array(repeating: 0, count: 2 * d)
            case "SAME_UPPER", "SAME_LOWER":
                for i in 0..<d {
                    guard strides[i] > 0 else { throw node.error("strides \(strides) must be positive") }
                    let out = (sizes[i] + strides[i] - 1) / strides[i]
                    let total = Swift.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - sizes[i])
                    let small = total / 2
                    pads[i] = autoPad == "SAME_UPPER" ? small : total - small
                    pads[i + d] = total - pads[i]
                }
            default:
                guard pads.count == 2 * d else { throw node.error("pads \(pads) must have \(2 * d) entries") }
            }
            if d == 2 { return (strides, pads, dilations, kernel) }
            return ([1, strides[0]], [0, pads[0], 0, pads[1]], [1, dilations[0]], [1, kernel[0]])
        }
    }

    /// Checks an `[N, C, spatial…]` input of 1 or 2 spatial dimensions.
    static func spatialSizes(_ node: ONNXNode, _ shape: [Int]) throws -> [Int] {
        guard shape.count == 3 || shape.count == 4 else {
            throw WardenError.unsupported("Node \(node.label): input of shape \(shape); Warden runs 1-D and 2-D windows ([N, C, L] or [N, C, H, W])")
        }
        return Array(shape[2...])
    }

    /// `Conv`, or `Conv` followed by `Relu` when `relu` and then by the `MaxPool` node `maxPool` when
    /// given (the session fuses such chains for inference; a 2-D chain then pools each image while it
    /// is in cache).
    /// `constantWeight`: the weight is an initialiser no feed can replace, so the fused path keeps its
    /// prepared layout between runs.
    static func convolution(_ node: ONNXNode, relu: Bool = false, maxPool: ONNXNode? = nil, constantWeight: Bool = false) throws -> ONNXKernel {
        let window = try WindowAttributes(node)
        let cache = constantWeight ? ConvolutionCache() : nil
        let groups = try node.int("group", default: 1)
        let pool = try maxPool.map { try PoolAttributes($0, max: true) }
        let poolKernel = try maxPool.map { try pooling($0, max: true) }
        return .single { inputs in
            var x = try inputs.float(0), w = try inputs.float(1)
            let bias = try inputs.optionalFloat(2)
            let sizes = try spatialSizes(node, x.shape)
            guard w.value.rank == x.value.rank else { throw inputs.error("weight \(w.shape) does not fit input \(x.shape)") }
            let kernel = Array(w.shape[2...])
            if let declared = window.kernel, declared != kernel { throw inputs.error("kernel_shape \(declared) differs from the weight's \(kernel)") }
            let (strides, pads, dilations, _) = try window.resolve(node: node, sizes: sizes, kernel: kernel)
            let oneDimensional = sizes.count == 1
            let options = Conv2DOptions(strides: strides, pads: pads, dilations: dilations, groups: groups)
            let constant = !x.requiresGradient && !w.requiresGradient && !(bias?.requiresGradient ?? false)
            if let pool, let maxPool, !oneDimensional, constant {
                let convolved = try Tensor<Float>.conv2dOutputShape(input: x.shape, weight: w.shape, options: options)
                let poolOptions = try named(maxPool) {
                    let options = try pool.options(node: maxPool, sizes: Array(convolved[2...]))
                    _ = try Tensor<Float>.maxPool2dOutputShape(input: convolved, options: options)
                    return options
                }
                return .float(Variable(try x.value.conv2d(weight: w.value, bias: bias?.value, options: options, relu: relu, maxPool: poolOptions, cache: cache)))
            }
            if oneDimensional {
                x = try x.unsqueezed(axes: [2])
                w = try w.unsqueezed(axes: [2])
            }
            let y = try x.conv2d(weight: w, bias: bias, options: options, relu: relu)
            let output = ONNXRuntimeValue.float(oneDimensional ? try y.squeezed(axes: [2]) : y)
            guard let maxPool, let poolKernel else { return output }
            return try named(maxPool) { try poolKernel.run(ONNXKernelInputs(node: maxPool, values: [output]))[0] }
        }
    }

    /// Runs `body`, naming `node` in an error that names no node yet (the part of a fused step that
    /// comes from that node).
    static func named<R>(_ node: ONNXNode, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as WardenError where !error.message.hasPrefix("Node ") {
            throw WardenError(code: error.code, message: "Node \(node.label): \(error.message)", cause: error)
        }
    }

    /// The attributes of `MaxPool`/`AveragePool`, checked when the session is built.
    struct PoolAttributes: Sendable {
        var window: WindowAttributes
        var kernel: [Int]
        var ceil: Bool
        var includePad: Bool

        init(_ node: ONNXNode, max: Bool) throws {
            window = try WindowAttributes(node)
            guard let kernel = window.kernel else { throw node.error("kernel_shape is required") }
            self.kernel = kernel
            ceil = try node.int("ceil_mode", default: 0) != 0
            includePad = try node.int("count_include_pad", default: 0) != 0
            if !max, let dilations = window.dilations, dilations.contains(where: { $0 != 1 }) {
                throw WardenError.unsupported("Node \(node.label): dilated average pooling is not supported")
            }
        }

        /// The 2-D options for an input with these spatial sizes (1-D windows lifted to `[1, …]`).
        func options(node: ONNXNode, sizes: [Int]) throws -> Pool2DOptions {
            let (strides, pads, dilations, kernel2D) = try window.resolve(node: node, sizes: sizes, kernel: kernel)
            return Pool2DOptions(kernel: kernel2D, strides: strides, pads: pads, dilations: dilations, ceilMode: ceil, countIncludePad: includePad)
        }
    }

    static func pooling(_ node: ONNXNode, max: Bool) throws -> ONNXKernel {
        let attributes = try PoolAttributes(node, max: max)
        return .single { inputs in
            var x = try inputs.float(0)
            let sizes = try spatialSizes(node, x.shape)
            let options = try attributes.options(node: node, sizes: sizes)
            let oneDimensional = sizes.count == 1
            if oneDimensional { x = try x.unsqueezed(axes: [2]) }
            let y = max ? try x.maxPool2d(options) : try x.averagePool2d(options)
            return .float(oneDimensional ? try y.squeezed(axes: [2]) : y)
        }
    }

    static func batchNormalization(_ node: ONNXNode, opset: Int) throws -> ONNXKernel {
        let epsilon = try node.float("epsilon", default: 1e-5)
        try node.refuse("training_mode", unless: { if case .int(0) = $0 { true } else { false } }, "training_mode=1 is not supported (inference only)")
        try node.refuse("spatial", unless: { if case .int(1) = $0 { true } else { false } }, "spatial=0 (per-activation statistics) is not supported")
        return .single { inputs in
            let x = try inputs.float(0), scale = try inputs.float(1), bias = try inputs.float(2)
            let mean = try inputs.float(3), variance = try inputs.float(4)
            guard x.value.rank >= 2 else { throw inputs.error("input \(x.shape) must be [N, C, …]") }
            if !mean.requiresGradient && !variance.requiresGradient {
                return .float(try x.batchNormalized(scale: scale, bias: bias, mean: mean.value, variance: variance.value, epsilon: epsilon))
            }
            // Differentiating with respect to the statistics too: the formula, op by op.
            let view = [1, x.shape[1]] + [Int](repeating: 1, count: x.value.rank - 2)
            let deviation = try (variance + epsilon).squareRoot().reshaped(to: view)
            let normalized = try (x - mean.reshaped(to: view)) / deviation
            return .float(try normalized * scale.reshaped(to: view) + bias.reshaped(to: view))
        }
    }

    static func dropout(_ node: ONNXNode, opset: Int) throws -> ONNXKernel {
        let wantsMask = node.outputs.count > 1 && !node.outputs[1].isEmpty
        return ONNXKernel { inputs in
            let x = try inputs.value(0)
            if inputs.has(2), try inputs.value(2).tensor(as: Bool.self)?.scalars.contains(true) ?? true {
                throw WardenError.unsupported("Node \(node.label): training_mode=true is not supported (inference only)")
            }
            guard wantsMask else { return [x] }
            return [x, .bool(try Tensor(shape: x.shape, repeating: true))]
        }
    }
}
