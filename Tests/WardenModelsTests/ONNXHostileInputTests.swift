import Foundation
import Testing
import WardenCore
import WardenFormats
import WardenTensor
import WardenTesting

@testable import WardenModels

/// Malformed, truncated and malicious ONNX files: every one is a clear error, never a crash.
struct ONNXHostileInputTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as WardenError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func truncationsAndBitFlipsNeverCrash() throws {
        let bytes = try ONNXTestGraphs.cnn().serialized()
        let x = ONNXTestGraphs.random([1, 1, 6, 6], seed: 1)
        let outcome = ParserVerifier.verify(bytes, flips: 300, maxTruncations: 400) { variant in
            let session = try ONNXSession(model: try ONNXModel(bytes: variant, source: "variant.onnx"))
            _ = try session.run(x)
        }
        #expect(outcome.parsed >= 1)
        #expect(outcome.rejected > 100)
    }

    @Test func randomBytesAreNotAModel() {
        var generator = SeededGenerator(seed: 3)
        let text = message { _ = try ONNXModel(bytes: generator.bytes(4096), source: "noise.onnx") }
        #expect(text.contains("noise.onnx"))
        #expect(text.hasPrefix("Invalid input"))
    }

    @Test func aMissingInitialiserNamesTheNode() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(1), .fixed(2)])
        b.node("Gemm", inputs: ["x", "weights"], outputs: ["y"], name: "fc")
        b.output("y", shape: nil)
        let text = message { _ = try b.model() }
        #expect(text.contains("'fc' (Gemm)"))
        #expect(text.contains("'weights'"))
    }

    @Test func aCycleNamesANodeOnIt() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(2)])
        b.node("Add", inputs: ["x", "b"], outputs: ["a"], name: "first")
        b.node("Relu", inputs: ["a"], outputs: ["b"], name: "second")
        b.output("b", shape: nil)
        let text = message { _ = try b.model() }
        #expect(text.contains("cycle"))
        #expect(text.contains("'first'") || text.contains("'second'"))
    }

    @Test func anUnsupportedOperatorNamesTheOpAndTheNode() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(2)])
        b.node("Einsum", inputs: ["x"], outputs: ["y"], name: "mystery", attributes: [("equation", .string("i->i"))])
        b.output("y", shape: nil)
        let model = try b.model()
        #expect(ONNXSession.unsupportedNodes(in: model).map(\.name) == ["mystery"])
        let text = message { _ = try ONNXSession(model: model) }
        #expect(text.contains("Einsum") && text.contains("'mystery'"))
        #expect(text.hasPrefix("Unsupported"))
    }

    @Test func aBadAttributeFailsAtLoadNamingTheNode() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(1), .fixed(1), .fixed(4), .fixed(4)])
        b.node("MaxPool", inputs: ["x"], outputs: ["y"], name: "pool", attributes: [("auto_pad", .string("SIDEWAYS")), ("kernel_shape", .ints([2, 2]))])
        b.output("y", shape: nil)
        let text = message { _ = try ONNXSession(model: try b.model()) }
        #expect(text.contains("'pool' (MaxPool)") && text.contains("SIDEWAYS"))
    }

    @Test func wrongInputShapesAndTypesAreRefused() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.mlp().model())
        #expect(message { _ = try session.run(try Tensor<Float>(zeros: [2, 5])) }.contains("must have shape float[N, 4]"))
        #expect(message { _ = try session.run(["x": ONNXValue(try Tensor<Int64>(zeros: [2, 4]))]) }.contains("must be float"))
        #expect(message { _ = try session.run([:]) }.contains("needs the input 'x'"))
        #expect(message { _ = try session.run(["x": ONNXValue(try Tensor<Float>(zeros: [1, 4])), "extra": ONNXValue(Tensor<Float>(0))]) }.contains("no input named 'extra'"))
    }

    @Test func aShapeMismatchInsideTheGraphNamesTheNode() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(2), .fixed(3)])
        b.initializer("w", ONNXValue(try Tensor<Float>(zeros: [4, 5])))
        b.node("MatMul", inputs: ["x", "w"], outputs: ["y"], name: "product")
        b.output("y", shape: nil)
        let session = try ONNXSession(model: try b.model())
        let text = message { _ = try session.run(try Tensor<Float>(zeros: [2, 3])) }
        #expect(text.contains("'product' (MatMul)"))
        #expect(text.contains("[2, 3]"))
    }

    @Test func initialiserDataMustMatchItsShape() throws {
        var proto = ONNXGraphBuilder.tensorProto(ONNXValue(Tensor<Float>([1, 2, 3])), name: "w")
        proto.dims = [4]
        let text = message { _ = try ONNXTensorDecoder(directory: nil, source: "m.onnx").decode(proto, what: "initialiser") }
        #expect(text.contains("'w'") && text.contains("12 bytes"))
        proto.dims = [Int64(1) << 40, 1 << 40]
        #expect(message { _ = try ONNXTensorDecoder(directory: nil, source: "m.onnx").decode(proto, what: "initialiser") }.contains("'w'"))
    }

    @Test func externalDataIsReadOnlyFromInsideTheModelFolder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let weights: [Float] = [1, 2, 3, 4]
        try folder.write("model/weights.bin", [0, 0, 0, 0] + weights.withUnsafeBytes { Array($0) })
        try folder.write("secret.bin", [UInt8](repeating: 7, count: 16))
        try FileManager.default.createSymbolicLink(atPath: folder.url("model/link.bin"), withDestinationPath: folder.url("secret.bin"))
        func tensor(location: String, offset: Int = 4) -> Onnx_TensorProto {
            var proto = Onnx_TensorProto()
            proto.name = "w"
            proto.dims = [4]
            proto.dataType = 1
            proto.dataLocation = .external
            for (key, value) in [("location", location), ("offset", "\(offset)"), ("length", "16")] {
                var entry = Onnx_StringStringEntryProto()
                entry.key = key
                entry.value = value
                proto.externalData.append(entry)
            }
            return proto
        }
        let decoder = ONNXTensorDecoder(directory: folder.url("model"), source: "model.onnx")
        let value = try decoder.decode(tensor(location: "weights.bin"), what: "initialiser")
        #expect(value.floatTensor?.scalars == weights)
        for hostile in ["../secret.bin", folder.url("secret.bin"), "link.bin"] {
            let text = message { _ = try decoder.decode(tensor(location: hostile), what: "initialiser") }
            #expect(text.contains("inside the model's folder") || text.contains("outside the model's folder"), "\(hostile): \(text)")
        }
        #expect(message { _ = try decoder.decode(tensor(location: "weights.bin", offset: 8), what: "initialiser") }.contains("does not fit"))
        #expect(message { _ = try ONNXTensorDecoder(directory: nil, source: "m").decode(tensor(location: "weights.bin"), what: "initialiser") }
            .contains("not loaded from a file"))
    }

    @Test func aModelWithoutAGraphOrOpsetIsRefused() throws {
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        #expect(message { _ = try ONNXModel(proto: proto, source: "empty.onnx", directory: nil) }.contains("no graph"))
        proto.graph.name = "g"
        #expect(message { _ = try ONNXModel(proto: proto, source: "empty.onnx", directory: nil) }.contains("operator set"))
    }
}

extension ONNXHostileInputTests {
    @Test func shapesReadFromDataCannotAskForAllMemory() throws {
        var b = ONNXGraphBuilder()
        b.input("x", shape: [.fixed(1)])
        b.initializer("huge", ONNXValue(Tensor<Int64>([1 << 20, 1 << 20])))
        b.node("ConstantOfShape", inputs: ["huge"], outputs: ["c"], name: "fill")
        b.node("Expand", inputs: ["x", "huge"], outputs: ["y"], name: "grow")
        b.output("c", shape: nil)
        b.output("y", shape: nil)
        let text = message { _ = try ONNXSession(model: try b.model()).run(Tensor<Float>([1])) }
        #expect(text.contains("'fill' (ConstantOfShape)") && text.contains("would create more than"))
    }
}
