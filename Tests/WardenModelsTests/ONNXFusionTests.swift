import Testing
import WardenCore
import WardenTensor
import WardenTesting

@testable import WardenModels

/// The session's inference-only fusion of `Conv` → `Relu` gives what the unfused graph gives.
struct ONNXFusionTests {
    /// `Conv → Relu → Conv → Relu`; the second pair's ReLU output also feeds `Add`, the first's
    /// convolution output is read twice (so it must not be fused).
    static func graph() -> ONNXGraphBuilder {
        var b = ONNXGraphBuilder(opset: 13)
        b.input("x", shape: [.symbolic("N"), .fixed(2), .fixed(7), .fixed(7)])
        b.initializer("w1", ONNXValue(ONNXTestGraphs.random([3, 2, 3, 3], seed: 61)))
        b.initializer("b1", ONNXValue(ONNXTestGraphs.random([3], seed: 62)))
        b.initializer("w2", ONNXValue(ONNXTestGraphs.random([3, 3, 3, 3], seed: 63)))
        b.node("Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], name: "conv1", attributes: [("pads", .ints([1, 1, 1, 1]))])
        b.node("Relu", inputs: ["c1"], outputs: ["r1"], name: "relu1")
        b.node("Conv", inputs: ["r1", "w2"], outputs: ["c2"], name: "conv2", attributes: [("pads", .ints([1, 1, 1, 1]))])
        b.node("Relu", inputs: ["c2"], outputs: ["r2"], name: "relu2")
        b.node("Add", inputs: ["r2", "c1"], outputs: ["y"], name: "add")
        b.output("y", shape: nil)
        return b
    }

    @Test func fusedRunEqualsTheNodeByNodeRun() throws {
        let session = try ONNXSession(model: try Self.graph().model())
        // conv1's output is also read by Add, so only conv2 + relu2 fuse.
        #expect(session.inferenceSteps.map(\.node.name) == ["conv1", "relu1", "conv2", "add"])
        #expect(session.steps.count == 5)
        let x = ONNXTestGraphs.random([3, 2, 7, 7], seed: 64)
        let fused = try session.run(["x": ONNXValue(x)])["y"]!.floatTensor!
        let unfused = try session.run(["x": ONNXValue(x)], values: ["y", "c2"])
        #expect(fused == unfused["y"]!.floatTensor!)
        // The pre-activation of a fused pair is still available on request.
        #expect(unfused["c2"]!.floatTensor!.shape == [3, 3, 7, 7])
        // Gradients go through the unfused graph.
        let gradients = try session.gradients(feeds: ["x": ONNXValue(x)], withRespectTo: ["x", "w2"])
        #expect(gradients.gradients["w2"]!.shape == [3, 3, 3, 3])
        #expect(gradients.outputs["y"]!.floatTensor! == fused)
    }

    @Test func graphOutputsAreNotFusedAway() throws {
        var b = ONNXGraphBuilder(opset: 13)
        b.input("x", shape: [.symbolic("N"), .fixed(1), .fixed(5), .fixed(5)])
        b.initializer("w", ONNXValue(ONNXTestGraphs.random([2, 1, 3, 3], seed: 65)))
        b.node("Conv", inputs: ["x", "w"], outputs: ["c"], name: "conv")
        b.node("Relu", inputs: ["c"], outputs: ["r"], name: "relu")
        b.output("c", shape: nil)
        b.output("r", shape: nil)
        let session = try ONNXSession(model: try b.model())
        #expect(session.inferenceSteps.count == 2)
        let outputs = try session.run(["x": ONNXValue(ONNXTestGraphs.random([2, 1, 5, 5], seed: 66))])
        #expect(outputs["r"]!.floatTensor! == outputs["c"]!.floatTensor!.relu())
    }

    /// `Conv → Relu → MaxPool → Flatten → Gemm(constant B, transB) → Relu → Gemm(B fed as an input)`:
    /// the first three fuse into one step, the constant Gemm multiplies packed weights with its ReLU
    /// fused, and every output equals the node-by-node run.
    static func chain(poolPads: [Int] = [0, 0, 0, 0]) -> ONNXGraphBuilder {
        var b = ONNXGraphBuilder(opset: 13)
        b.input("x", shape: [.symbolic("N"), .fixed(2), .fixed(8), .fixed(8)])
        b.input("w3", shape: [.fixed(6), .fixed(3)])
        b.initializer("w1", ONNXValue(ONNXTestGraphs.random([4, 2, 3, 3], seed: 71)))
        b.initializer("b1", ONNXValue(ONNXTestGraphs.random([4], seed: 72)))
        b.initializer("w2", ONNXValue(ONNXTestGraphs.random([6, 64], seed: 73)))
        b.initializer("b2", ONNXValue(ONNXTestGraphs.random([6], seed: 74)))
        b.node("Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], name: "conv", attributes: [("pads", .ints([1, 1, 1, 1]))])
        b.node("Relu", inputs: ["c1"], outputs: ["r1"], name: "relu")
        b.node("MaxPool", inputs: ["r1"], outputs: ["p1"], name: "pool", attributes: [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2])), ("pads", .ints(poolPads.map(Int64.init)))])
        b.node("Flatten", inputs: ["p1"], outputs: ["f"], name: "flatten")
        b.node("Gemm", inputs: ["f", "w2", "b2"], outputs: ["g1"], name: "dense", attributes: [("transB", .int(1))])
        b.node("Relu", inputs: ["g1"], outputs: ["h"], name: "relu2")
        b.node("Gemm", inputs: ["h", "w3"], outputs: ["y"], name: "head", attributes: [("alpha", .float(0.5))])
        b.output("y", shape: nil)
        return b
    }

    static func maxDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func convolutionReluPoolAndDenseLayersFuse() throws {
        let session = try ONNXSession(model: try Self.chain().model())
        #expect(session.inferenceSteps.map(\.node.name) == ["conv", "flatten", "dense", "head"])
        let w3 = ONNXTestGraphs.random([6, 3], seed: 75)
        for n in [1, 2, 9] {
            let x = ONNXTestGraphs.random([n, 2, 8, 8], seed: 76 + UInt64(n))
            let feeds = ["x": ONNXValue(x), "w3": ONNXValue(w3)]
            let fused = try session.run(feeds)["y"]!.floatTensor!
            let unfused = try session.run(feeds, values: ["y", "p1", "h"])
            #expect(Self.maxDifference(fused, unfused["y"]!.floatTensor!) <= 1e-5)
            #expect(fused.shape == [n, 3])
        }
    }

    /// The fused convolution keeps its prepared weights per input shape (a few at a time): runs that hit,
    /// miss and evict them give the same values as the first run and as the node-by-node graph.
    @Test func preparedConvolutionsAreReusedAcrossRuns() throws {
        let session = try ONNXSession(model: try Self.chain().model())
        let w3 = ONNXTestGraphs.random([6, 3], seed: 85)
        var first: [Int: Tensor<Float>] = [:]
        for n in [1, 2, 1, 9, 3, 4, 5, 6, 1, 2] {
            let x = ONNXTestGraphs.random([n, 2, 8, 8], seed: 86 + UInt64(n))
            let feeds = ["x": ONNXValue(x), "w3": ONNXValue(w3)]
            let fused = try session.run(feeds)["y"]!.floatTensor!
            if let earlier = first[n] { #expect(fused == earlier, "batch \(n)") } else { first[n] = fused }
            let unfused = try session.run(feeds, values: ["y", "p1", "h"])["y"]!.floatTensor!
            #expect(Self.maxDifference(fused, unfused) <= 1e-5, "batch \(n)")
        }
    }

    @Test func aPoolThatDoesNotFitNamesThePoolNode() throws {
        // Pads as large as the kernel are refused; the error must name the MaxPool node, not the Conv.
        let session = try ONNXSession(model: try Self.chain(poolPads: [2, 2, 2, 2]).model())
        let feeds = ["x": ONNXValue(ONNXTestGraphs.random([1, 2, 8, 8], seed: 80)), "w3": ONNXValue(ONNXTestGraphs.random([6, 3], seed: 81))]
        do {
            _ = try session.run(feeds)
            Issue.record("a pool with pads as large as its kernel ran")
        } catch let error as WardenError {
            #expect(error.message.contains("'pool'"), "\(error.message)")
        }
    }

    @Test func aGemmWeightThatIsAlsoAGraphInputCannotBeReplacedByAFeed() throws {
        // w2 is both an initialiser and a graph input. The runtime treats an initialiser as the
        // value (ONNXModel leaves such inputs out of the feedable ones), so a feed for it is refused
        // by name; that is what makes packing the weight once per session safe.
        var b = Self.chain()
        b.input("w2", shape: [.fixed(6), .fixed(64)])
        let session = try ONNXSession(model: try b.model())
        let x = ONNXTestGraphs.random([2, 2, 8, 8], seed: 82)
        let w3 = ONNXTestGraphs.random([6, 3], seed: 83)
        let other = ONNXTestGraphs.random([6, 64], seed: 84)
        #expect(throws: WardenError.self) {
            _ = try session.run(["x": ONNXValue(x), "w3": ONNXValue(w3), "w2": ONNXValue(other)])
        }
        let packed = try session.run(["x": ONNXValue(x), "w3": ONNXValue(w3)])["y"]!.floatTensor!
        let unfused = try session.run(["x": ONNXValue(x), "w3": ONNXValue(w3)], values: ["y", "p1", "h"])["y"]!.floatTensor!
        #expect(Self.maxDifference(packed, unfused) <= 1e-5)
    }
}
