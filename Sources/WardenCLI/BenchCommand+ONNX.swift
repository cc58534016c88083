import ArgumentParser
import WardenCore
import WardenModels
import WardenTensor

extension BenchCommand {
    /// `warden bench onnx`: the latency of one inference of an ONNX model on a batch of random rows.
    func measureONNX(into result: inout Result) throws {
        guard let model else { throw ValidationError("bench onnx needs --model MODEL.onnx") }
        let session = try ONNXSession(model: try ONNXModel(contentsOf: model))
        let n = batch ?? 1
        var generator = SeededRandomGenerator(seed: 4)
        var feeds: [String: ONNXValue] = [:]
        for input in session.model.inputs {
            guard input.elementType == .float, let shape = input.shape, !shape.isEmpty else {
                throw ValidationError("bench onnx feeds float inputs of known rank; '\(input.name)' is \(input.typeDescription)")
            }
            let dims = try shape.enumerated().map { index, dimension -> Int in
                if index == 0 { return n }
                guard case .fixed(let size) = dimension else {
                    throw ValidationError("Input '\(input.name)' has a dimension \(dimension) other than the first that is not fixed")
                }
                return size
            }
            feeds[input.name] = ONNXValue(try Tensor<Float>.randomUniform(dims, generator: &generator))
        }
        let seconds = try Self.bestTime(minimum: minTime) { _ = try session.run(feeds) }
        result.mode = "inference of \(FileIO.lastComponent(of: model))"
        result.batch = n
        result.secondsPerBatch = seconds
        result.itemsPerSecond = Double(n) / seconds
    }
}
