import Testing
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
}
