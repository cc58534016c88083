import ArgumentParser
import Foundation
import WardenCore
import WardenTensor

/// `warden bench gemm|conv|mlp`: throughput of the native tensor engine, to compare machines and releases.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the tensor engine: GEMM and convolution GFLOP/s, MLP training and ONNX inference throughput.",
        discussion: """
            gemm: C = A·B with N×N matrices (--size, default 1024). conv: a 3×3, 64→64-channel, \
            padding-1 convolution on --batch (default 16) images of --size² (default 32) pixels. mlp: one \
            training step (forward, backward, Adam update) of a --size→256→128→10 ReLU MLP (default 784 \
            inputs) on --batch (default 256) rows; --inference times the forward pass alone. onnx: one \
            inference of --model on --batch (default 1) random rows in 0..<1.

            Each figure is the best of several timed runs after a warm-up (at least --min-time seconds \
            in all). Kernels: WARDEN_KERNELS=generic|avx2|avx512 (default: the best this CPU has); \
            threads: --threads (default: all cores). Build with -c release for meaningful numbers.

            Example:
              warden bench gemm --size 2048 --threads 2 --json
              WARDEN_KERNELS=avx2 warden bench gemm --size 1024 --threads 1
              warden bench mlp --batch 256
              warden bench onnx --model model.onnx --batch 256 --json
            """
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case gemm, conv, mlp, onnx
    }

    @Argument(help: "What to measure: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).") var workload: Workload
    @Option(help: "Matrix size (gemm), image size (conv) or input features (mlp).") var size: Int?
    @Option(help: "Images (conv) or rows (mlp) per batch.") var batch: Int?
    @Option(help: "Threads per operation (default: all cores).") var threads: Int?
    @Option(help: "onnx: the model to run (its first input gets --batch random rows, default 1).") var model: String?
    @Option(help: "Keep timing for at least this many seconds.") var minTime: Double = 1
    @Flag(help: "mlp: time inference (forward pass) instead of a training step.") var inference = false
    @Flag(help: "Print machine-readable JSON on stdout instead of text.") var json = false

    func validate() throws {
        if let size, size <= 0 || size > 16384 { throw ValidationError("--size must be in 1…16384, got \(size)") }
        if let batch, batch <= 0 || batch > 65536 { throw ValidationError("--batch must be in 1…65536, got \(batch)") }
        if let threads, threads <= 0 || threads > 256 { throw ValidationError("--threads must be in 1…256, got \(threads)") }
        guard minTime > 0, minTime <= 600 else { throw ValidationError("--min-time must be in (0, 600] seconds") }
    }

    func run() throws {
        if let note = TensorRuntime.kernelNote { Console.error("warning: \(note)") }
        let threadCount = threads ?? TensorRuntime.defaultThreads
        var result = Result(workload: workload.rawValue, kernels: TensorRuntime.kernels.description, threads: threadCount)
        try TensorRuntime.withThreads(threadCount) {
            switch workload {
            case .gemm: try measureGEMM(into: &result)
            case .conv: try measureConvolution(into: &result)
            case .mlp: try measureMLP(into: &result)
            case .onnx: try measureONNX(into: &result)
            }
        }
        if json {
            try Console.json(result)
        } else {
            Console.output(result.text)
        }
    }

    func measureGEMM(into result: inout Result) throws {
        let n = size ?? 1024
        var generator = SeededRandomGenerator(seed: 1)
        let a = try Tensor<Float>.randomUniform([n, n], low: -1, high: 1, generator: &generator)
        let b = try Tensor<Float>.randomUniform([n, n], low: -1, high: 1, generator: &generator)
        let seconds = try Self.bestTime(minimum: minTime) { _ = try a.matmul(b) }
        result.size = n
        result.seconds = seconds
        result.gflops = 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }

    func measureConvolution(into result: inout Result) throws {
        let (n, pixels, channels) = (batch ?? 16, size ?? 32, 64)
        var generator = SeededRandomGenerator(seed: 2)
        let x = try Tensor<Float>.randomUniform([n, channels, pixels, pixels], low: -1, high: 1, generator: &generator)
        let w = try Tensor<Float>.randomUniform([channels, channels, 3, 3], low: -0.1, high: 0.1, generator: &generator)
        let options = Conv2DOptions(pads: [1, 1, 1, 1])
        let seconds = try Self.bestTime(minimum: minTime) { _ = try x.conv2d(weight: w, options: options) }
        let flops = 2 * Double(n * channels * channels * 9 * pixels * pixels)
        result.size = pixels
        result.batch = n
        result.seconds = seconds
        result.gflops = flops / seconds / 1e9
    }

    func measureMLP(into result: inout Result) throws {
        let (n, features) = (batch ?? 256, size ?? 784)
        var generator = SeededRandomGenerator(seed: 3)
        let model = Sequential([
            try Dense(inputs: features, outputs: 256, generator: &generator), ReLU(),
            try Dense(inputs: 256, outputs: 128, generator: &generator), ReLU(),
            try Dense(inputs: 128, outputs: 10, generator: &generator),
        ])
        let x = try Tensor<Float>.randomUniform([n, features], low: 0, high: 1, generator: &generator)
        let labels = Tensor<Int64>((0..<n).map { Int64($0 % 10) })
        let optimizer = try Adam(learningRate: 1e-3)
        let inference = self.inference
        let seconds = try Self.bestTime(minimum: minTime) {
            if inference {
                _ = try model(x)
                return
            }
            let context = ForwardContext(training: true)
            let loss = try model.forward(Variable(x), context: context).softmaxCrossEntropy(labels: labels)
            try optimizer.update(model.parameters, gradients: context.gradients(of: loss, for: model.parameters))
        }
        result.mode = inference ? "inference" : "training step"
        result.size = features
        result.batch = n
        result.secondsPerBatch = seconds
        result.itemsPerSecond = Double(n) / seconds
    }

    /// The fastest of repeated runs after one warm-up, running at least three times and `minimum` seconds.
    static func bestTime(minimum: Double, _ body: () throws -> Void) throws -> Double {
        try body()
        var best = Double.infinity
        var total = 0.0
        var runs = 0
        while runs < 3 || total < minimum {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = Swift.min(best, elapsed)
            total += elapsed
            runs += 1
        }
        return best
    }

    /// One measurement; absent fields do not apply to the workload.
    struct Result: Encodable {
        var workload: String
        var kernels: String
        var threads: Int
        var size: Int?
        var batch: Int?
        var mode: String?
        var seconds: Double?
        var gflops: Double?
        var secondsPerBatch: Double?
        var itemsPerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case workload, kernels, threads, size, batch, mode, seconds, gflops
            case secondsPerBatch = "seconds_per_batch"
            case itemsPerSecond = "items_per_second"
        }

        var text: String {
            let head = "\(workload) size \(size ?? 0)\(batch.map { " batch \($0)" } ?? "") (\(kernels), \(threads) thread(s))"
            if let gflops {
                return head + String(format: ": %.1f GFLOP/s, %.3f ms per run", gflops, (seconds ?? 0) * 1000)
            }
            return head + String(format: ", %@: %.3f ms per batch, %.0f items/s", mode ?? "", (secondsPerBatch ?? 0) * 1000, itemsPerSecond ?? 0)
        }
    }
}
