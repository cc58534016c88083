import Foundation
import WardenCore
import WardenModels
import WardenTensor

/// An ONNX classifier as attacks see it: rows in, one score per class out, differentiated through
/// Warden's ONNX runtime. The scores are the first float output of shape `[N, classes]`; when that
/// output is a softmax (probabilities), they are its logarithm, so that losses and margins behave as
/// they do on logits.
public final class ONNXClassifier: DifferentiableClassifier {
    public let predictor: TabularPredictor
    public let outputName: String
    public let classCount: Int
    /// Whether the scored output is probabilities (the scores are their logarithms).
    public let outputIsProbability: Bool

    public var width: Int { predictor.width }
    public var exampleShape: [Int] { predictor.exampleShape }
    public var session: ONNXSession { predictor.session }

    /// - Throws: `.invalidInput` for a model that does not take one float row per example or has no
    ///   float `[N, classes]` output; `.unsupported` for an operator Warden does not run.
    public init(model: ONNXModel) throws {
        predictor = try TabularPredictor(model: model)
        let probe = try predictor.run(features: [Float](repeating: 0, count: predictor.width), rows: 1)
        guard let output = model.outputs.first(where: { probe[$0.name]?.floatTensor.map { $0.rank == 2 && $0.shape[1] >= 2 } ?? false }) else {
            throw WardenError.invalidInput("'\(model.source)' has no float output of shape [N, classes] to attack (outputs: \(model.outputs.map { "\($0.name) \($0.typeDescription)" }.joined(separator: ", ")))")
        }
        outputName = output.name
        classCount = probe[output.name]!.floatTensor!.shape[1]
        outputIsProbability = Self.producer(of: output.name, in: model)?.opType == "Softmax"
    }

    /// The node that computes `name`, looking through Identity nodes.
    static func producer(of name: String, in model: ONNXModel) -> ONNXNode? {
        var current = name
        for _ in 0..<model.nodes.count {
            guard let node = model.nodes.first(where: { $0.outputs.contains(current) }) else { return nil }
            guard node.opType == "Identity", let input = node.inputs.first else { return node }
            current = input
        }
        return nil
    }

    public func scores(_ x: [Float], rows: Int) throws -> [Float] {
        guard let value = try predictor.run(features: x, rows: rows)[outputName]?.floatTensor else {
            throw WardenError.internalError("'\(session.model.source)' did not compute '\(outputName)'")
        }
        let scores = value.scalars
        return outputIsProbability ? scores.map { log(Swift.max($0, 1e-30)) } : scores
    }

    public func scoresAndGradients(_ x: [Float], rows: Int, seeds: ([Float]) throws -> [[Float]]) throws -> (scores: [Float], gradients: [[Float]]) {
        let input = Variable(try Tensor(shape: [rows] + exampleShape, scalars: x), requiresGradient: true)
        guard var output = try session.differentiableRun([predictor.inputName: input])[outputName] else {
            throw WardenError.internalError("'\(session.model.source)' did not compute '\(outputName)'")
        }
        if outputIsProbability { output = output.clipped(lower: 1e-30).log() }
        guard output.requiresGradient else {
            throw WardenError.unsupported(
                "'\(session.model.source)' has no differentiable path from its input to '\(outputName)', so white-box attacks cannot run; use a black-box attack (--attack hopskipjump or square)")
        }
        let scores = output.value.scalars
        let gradients = try seeds(scores).map { seed in
            try output.gradient(withRespectTo: input, seed: Tensor(shape: output.shape, scalars: seed)).scalars
        }
        return (scores, gradients)
    }
}
