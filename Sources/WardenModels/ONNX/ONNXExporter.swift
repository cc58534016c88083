import WardenCore
import WardenTensor

/// Writes a trained ``WardenTensor/Sequential`` model as an ONNX file that onnxruntime (and Warden) run:
/// `Gemm`, `Conv`, pooling, `BatchNormalization` (running statistics), activations and `Flatten`;
/// dropout is dropped (inference). Input `input` of shape `[N, …]`, output `logits`.
public enum ONNXExporter {
    /// The opset written: 13 (every onnxruntime since 1.7 runs it).
    public static let opset = 13

    /// The ONNX bytes of `model`.
    /// - Parameters:
    ///   - inputShape: one example's shape (`[features]` or `[C, H, W]`); the batch dimension is `N`.
    ///   - metadata: `metadata_props` entries (class names, feature names, how it was trained).
    /// - Throws: `.unsupported` for a layer ONNX export does not cover, `.invalidInput` when the model
    ///   does not accept `inputShape`.
    public static func export(_ model: Sequential, inputShape: [Int], metadata: [(String, String)] = [], producerVersion: String = "") throws -> [UInt8] {
        var builder = ONNXGraphBuilder(opset: opset, producer: "warden", producerVersion: producerVersion)
        builder.input("input", shape: [.symbolic("N")] + inputShape.map { .fixed($0) })
        var current = "input"
        var index = 0
        func next(_ kind: String) -> String {
            defer { index += 1 }
            return "\(kind)_\(index)"
        }
        func emit(_ layer: any Layer) throws {
            switch layer {
            case let sequential as Sequential:
                for inner in sequential.layers { try emit(inner) }
            case let dense as Dense:
                let out = next("gemm")
                builder.node("Gemm", inputs: weights(dense.weight, dense.bias), outputs: [out], name: out, attributes: [("transB", .int(1))])
                current = out
            case let conv as Conv2D:
                let out = next("conv")
                let options = conv.options
                builder.node("Conv", inputs: weights(conv.weight, conv.bias), outputs: [out], name: out, attributes: [
                    ("kernel_shape", .ints(conv.weight.value.shape[2...].map(Int64.init))), ("strides", .ints(options.strides.map(Int64.init))),
                    ("pads", .ints(options.pads.map(Int64.init))), ("dilations", .ints(options.dilations.map(Int64.init))),
                    ("group", .int(Int64(options.groups))),
                ])
                current = out
            case let pool as MaxPool2D:
                current = pooling("MaxPool", pool.options, name: next("maxpool"))
            case let pool as AveragePool2D:
                current = pooling("AveragePool", pool.options, name: next("avgpool"))
            case is GlobalAveragePool2D:
                current = simple("GlobalAveragePool", name: next("gap"))
            case let norm as BatchNorm:
                let out = next("batchnorm")
                let base = norm.scale.name.hasSuffix(".scale") ? String(norm.scale.name.dropLast(6)) : out
                builder.initializer(norm.scale.name, ONNXValue(norm.scale.value))
                builder.initializer(norm.bias.name, ONNXValue(norm.bias.value))
                builder.initializer(base + ".running_mean", ONNXValue(norm.runningMean))
                builder.initializer(base + ".running_var", ONNXValue(norm.runningVariance))
                builder.node(
                    "BatchNormalization", inputs: [current, norm.scale.name, norm.bias.name, base + ".running_mean", base + ".running_var"],
                    outputs: [out], name: out, attributes: [("epsilon", .float(norm.epsilon)), ("momentum", .float(1 - norm.momentum))])
                current = out
            case is ReLU:
                current = simple("Relu", name: next("relu"))
            case let leaky as LeakyReLU:
                current = simple("LeakyRelu", name: next("leakyrelu"), attributes: [("alpha", .float(leaky.alpha))])
            case is Sigmoid:
                current = simple("Sigmoid", name: next("sigmoid"))
            case is Tanh:
                current = simple("Tanh", name: next("tanh"))
            case let flatten as Flatten:
                current = simple("Flatten", name: next("flatten"), attributes: [("axis", .int(Int64(flatten.axis)))])
            case is Dropout:
                break
            default:
                throw WardenError.unsupported("ONNX export does not cover the layer \(type(of: layer))")
            }
        }
        /// The current value, the weight and the bias (if any) as node inputs, the parameters as initialisers.
        func weights(_ weight: Parameter, _ bias: Parameter?) -> [String] {
            builder.initializer(weight.name, ONNXValue(weight.value))
            guard let bias else { return [current, weight.name] }
            builder.initializer(bias.name, ONNXValue(bias.value))
            return [current, weight.name, bias.name]
        }
        func simple(_ op: String, name: String, attributes: [(String, ONNXAttribute)] = []) -> String {
            builder.node(op, inputs: [current], outputs: [name], name: name, attributes: attributes)
            return name
        }
        func pooling(_ op: String, _ options: Pool2DOptions, name: String) -> String {
            var attributes: [(String, ONNXAttribute)] = [
                ("kernel_shape", .ints(options.kernel.map(Int64.init))), ("strides", .ints(options.strides.map(Int64.init))),
                ("pads", .ints(options.pads.map(Int64.init))), ("ceil_mode", .int(options.ceilMode ? 1 : 0)),
            ]
            if op == "MaxPool" {
                if options.dilations != [1, 1] { attributes.append(("dilations", .ints(options.dilations.map(Int64.init)))) }
            } else {
                attributes.append(("count_include_pad", .int(options.countIncludePad ? 1 : 0)))
            }
            builder.node(op, inputs: [current], outputs: [name], name: name, attributes: attributes)
            return name
        }
        try emit(model)
        builder.node("Identity", inputs: [current], outputs: ["logits"], name: "output")
        // The output shape, from one example run through the model.
        let probe = try model(try Tensor<Float>(zeros: [1] + inputShape))
        builder.output("logits", shape: [.symbolic("N")] + probe.shape.dropFirst().map { .fixed($0) })
        for (key, value) in metadata { builder.metadata(key, value) }
        return try builder.serialized()
    }
}
