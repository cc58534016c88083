import Testing
import WardenCore
import WardenTensor

@testable import WardenModels

/// Gradients of ONNX graphs with respect to inputs and initialisers, against central finite differences.
struct ONNXGradientTests {
    /// Compares `∂ sum(seed ⊙ output) / ∂ name` with central differences on a few elements.
    func check(_ session: ONNXSession, feeds: [String: ONNXValue], output: String, names: [String], seed: Tensor<Float>) throws {
        let (_, gradients) = try session.gradients(of: output, feeds: feeds, seed: seed, withRespectTo: names)
        func objective(_ feeds: [String: ONNXValue], parameters: [String: Variable]) throws -> Double {
            var variables: [String: Variable] = [:]
            var plain: [String: ONNXValue] = [:]
            for (name, value) in feeds { if let t = value.floatTensor { variables[name] = Variable(t) } else { plain[name] = value } }
            let y = try session.differentiableRun(variables, feeds: plain, parameters: parameters)[output]!.value
            return zip(y.scalars, seed.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        for name in names {
            let base = feeds[name]?.floatTensor ?? session.model.initializers[name]!.floatTensor!
            let analytic = gradients[name]!
            #expect(analytic.shape == base.shape)
            let step: Float = 1e-3
            for index in stride(from: 0, to: base.count, by: max(1, base.count / 7)) {
                func shifted(_ delta: Float) throws -> Double {
                    var values = base.scalars
                    values[index] += delta
                    let tensor = try Tensor(shape: base.shape, scalars: values)
                    if feeds[name] != nil {
                        var copy = feeds
                        copy[name] = ONNXValue(tensor)
                        return try objective(copy, parameters: [:])
                    }
                    return try objective(feeds, parameters: [name: Variable(tensor)])
                }
                let numeric = (try shifted(step) - shifted(-step)) / Double(2 * step)
                let got = Double(analytic.scalars[index])
                #expect(abs(numeric - got) <= 2e-2 * max(1, abs(numeric)), "\(name)[\(index)]: numeric \(numeric), analytic \(got)")
            }
        }
    }

    @Test func mlpGradientsWithRespectToInputAndWeights() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.mlp().model())
        let x = ONNXTestGraphs.random([3, 4], seed: 21)
        let seed = ONNXTestGraphs.random([3, 3], seed: 22)
        try check(session, feeds: ["x": ONNXValue(x)], output: "probabilities", names: ["x", "w1", "b1", "w2"], seed: seed)
    }

    @Test func cnnGradientsThroughConvBatchNormPoolAndTheShapeChain() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.cnn().model())
        let x = ONNXTestGraphs.random([2, 1, 6, 6], seed: 23)
        let seed = ONNXTestGraphs.random([2, 3], seed: 24)
        try check(session, feeds: ["image": ONNXValue(x)], output: "logits", names: ["image", "conv.w", "bn.scale", "bn.mean", "bn.var", "fc.b"], seed: seed)
    }

    @Test func inputGradientsFlowThroughDifferentiableRun() throws {
        let session = try ONNXSession(model: try ONNXTestGraphs.mlp().model())
        let x = Variable(ONNXTestGraphs.random([2, 4], seed: 25), requiresGradient: true)
        let logits = try #require(try session.differentiableRun(["x": x])["logits"])
        let loss = try logits.softmaxCrossEntropy(labels: Tensor<Int64>([0, 2]))
        let gradient = try loss.gradient(withRespectTo: x)
        #expect(gradient.shape == [2, 4])
        #expect(gradient.scalars.contains { $0 != 0 })
    }
}
