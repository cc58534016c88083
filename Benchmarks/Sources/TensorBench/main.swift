import Foundation
import WardenModels
import WardenTensor

// TensorBench: times the tensor engine's hot paths in a release build, one line per measure.
//   TensorBench gemm [SIZES] [THREADS]      GEMM GFLOP/s (default sizes 256,512,1024,2048)
//   TensorBench conv [BATCH]                the bench CNN's convolutions and pools, forward and backward
//   TensorBench train [BATCH] [STEPS]       training steps of the bench CNN (cnn:1x28x28:conv16k3,pool2,conv32k3,pool2,dense128)
//   TensorBench onnx MODEL.onnx [BATCHES]   ONNX inference latency (default batches 1,256)
//   TensorBench onnx-output MODEL.onnx [BATCH]   the first output on a fixed input (to compare runtimes)
// Environment: BENCH_MIN_TIME (seconds per measure, default 1), WARDEN_THREADS, WARDEN_KERNELS.

let arguments = Array(CommandLine.arguments.dropFirst())
let minimumTime = Double(ProcessInfo.processInfo.environment["BENCH_MIN_TIME"] ?? "") ?? 1

/// CPU time of the whole process (all threads), in seconds.
func processCPUTime() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// CPU seconds per run of the last `bestTime` (on a loaded machine a steadier figure than wall time).
nonisolated(unsafe) var lastCPUPerRun = 0.0

/// The fastest of repeated runs after one warm-up, at least three runs and `minimumTime` seconds.
func bestTime(_ body: () throws -> Void) rethrows -> Double {
    try body()
    var best = Double.infinity, total = 0.0, runs = 0
    let cpuStart = processCPUTime()
    while runs < 3 || total < minimumTime {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = min(best, elapsed)
        total += elapsed
        runs += 1
    }
    lastCPUPerRun = (processCPUTime() - cpuStart) / Double(runs)
    return best
}

/// One line: best wall time, CPU time per run (all threads), and GFLOP/s from the wall time.
func report(_ name: String, seconds: Double, flops: Double? = nil) {
    var line = "\(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(String(format: "%10.4f ms  cpu %10.4f ms", seconds * 1e3, lastCPUPerRun * 1e3))"
    if let flops { line += String(format: " %8.1f GFLOP/s", flops / seconds / 1e9) }
    print(line)
}

func list(_ index: Int, default value: [Int]) -> [Int] {
    index < arguments.count ? arguments[index].split(separator: ",").compactMap { Int($0) } : value
}

func benchGEMM() throws {
    let threads = list(2, default: [1, TensorRuntime.defaultThreads])
    var generator = SeededRandomGenerator(seed: 1)
    for n in list(1, default: [256, 512, 1024, 2048]) {
        let a = try Tensor<Float>.randomUniform([n, n], low: -1, high: 1, generator: &generator)
        let b = try Tensor<Float>.randomUniform([n, n], low: -1, high: 1, generator: &generator)
        for t in threads {
            let seconds = try TensorRuntime.withThreads(t) { try bestTime { _ = try a.matmul(b) } }
            report("gemm \(n) threads \(t) (\(TensorRuntime.kernels))", seconds: seconds, flops: 2 * pow(Double(n), 3))
        }
    }
}

func benchConvolution() throws {
    let n = list(1, default: [256])[0]
    var generator = SeededRandomGenerator(seed: 2)
    // (input channels, output channels, image size) of the bench CNN's two convolutions.
    for (c, m, size) in [(1, 16, 28), (16, 32, 14)] {
        let x = try Tensor<Float>.randomUniform([n, c, size, size], low: -1, high: 1, generator: &generator)
        let w = try Tensor<Float>.randomUniform([m, c, 3, 3], low: -0.3, high: 0.3, generator: &generator)
        let b = try Tensor<Float>.randomUniform([m], low: -0.1, high: 0.1, generator: &generator)
        let options = Conv2DOptions(pads: [1, 1, 1, 1])
        let flops = 2 * Double(n * m * c * 9 * size * size)
        report("conv \(c)->\(m) \(size)x\(size) batch \(n) fwd", seconds: try bestTime { _ = try x.conv2d(weight: w, bias: b, options: options) }, flops: flops)
        let xv = Variable(x, requiresGradient: c > 1), wv = Variable(w, requiresGradient: true), bv = Variable(b, requiresGradient: true)
        let seed = try Tensor<Float>.randomUniform([n, m, size, size], low: -1, high: 1, generator: &generator)
        let parameters = c > 1 ? [xv, wv, bv] : [wv, bv]
        report("conv \(c)->\(m) \(size)x\(size) batch \(n) fwd+bwd", seconds: try bestTime {
            let y = try xv.conv2d(weight: wv, bias: bv, options: options)
            _ = try y.gradients(withRespectTo: parameters, seed: seed)
        }, flops: flops * Double(parameters.count == 3 ? 3 : 2))
        let pool = Pool2DOptions(kernel: [2, 2], strides: [2, 2])
        let activations = try Tensor<Float>.randomUniform([n, m, size, size], low: -1, high: 1, generator: &generator)
        report("maxpool 2x2 \(m)x\(size)x\(size) batch \(n)", seconds: try bestTime { _ = try activations.maxPool2d(pool) })
    }
}

/// Runs `body` on a new thread and waits for it: `warden train` runs in the CLI's async main on a
/// worker thread, whose malloc arena returns freed memory to the OS unlike the main thread's, so a
/// benchmark on the main thread would hide what that costs.
func onWorkerThread(_ body: () throws -> Void) throws {
    try withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let work = escapable
        nonisolated(unsafe) var failure: (any Error)?
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do { try work() } catch { failure = error }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        done.wait()
        if let failure { throw failure }
    }
}

func benchTraining() throws {
    try onWorkerThread(benchTrainingSteps)
}

func benchTrainingSteps() throws {
    let n = list(1, default: [64])[0], steps = list(2, default: [20])[0]
    var generator = SeededRandomGenerator(seed: 3)
    let spec = try ModelSpec(parsing: "cnn:1x28x28:conv16k3,pool2,conv32k3,pool2,dense128")
    let (model, inputShape) = try spec.build(features: 784, classes: 10, generator: &generator)
    let x = try Tensor<Float>.randomUniform([n] + inputShape, low: 0, high: 1, generator: &generator)
    let labels = Tensor<Int64>((0..<n).map { Int64($0 % 10) })
    let optimizer = try Adam(learningRate: 1e-3)
    let parameters = model.parameters
    let seconds = try bestTime {
        for step in 0..<steps {
            let context = ForwardContext(training: true, seed: UInt64(step))
            let loss = try model.forward(Variable(x), context: context).softmaxCrossEntropy(labels: labels)
            try optimizer.update(parameters, gradients: context.gradients(of: loss, for: parameters))
        }
    }
    report("train cnn batch \(n) (per step)", seconds: seconds / Double(steps))
}

func benchONNX() throws {
    guard arguments.count > 1 else { throw CocoaError(.fileNoSuchFile) }
    let path = arguments[1]
    let session = try ONNXSession(model: try ONNXModel(contentsOf: path))
    var generator = SeededRandomGenerator(seed: 4)
    for n in list(2, default: [1, 256]) {
        var feeds: [String: ONNXValue] = [:]
        for input in session.model.inputs {
            let dims = (input.shape ?? []).enumerated().map { index, dimension -> Int in
                if index == 0 { return n }
                if case .fixed(let size) = dimension { return size }
                return 1
            }
            feeds[input.name] = ONNXValue(try Tensor<Float>.randomUniform(dims, generator: &generator))
        }
        report("onnx \((path as NSString).lastPathComponent) batch \(n)", seconds: try bestTime { _ = try session.run(feeds) })
    }
}

/// Prints the first output of a model on a fixed input, one value a line, to compare with another
/// runtime: element `i` of the (first) input is `((i · 7919) mod 1000) / 1000`.
func printONNXOutput() throws {
    guard arguments.count > 1 else { throw CocoaError(.fileNoSuchFile) }
    let session = try ONNXSession(model: try ONNXModel(contentsOf: arguments[1]))
    let n = list(2, default: [1])[0]
    guard let input = session.model.inputs.first else { return }
    let dims = (input.shape ?? []).enumerated().map { index, dimension -> Int in
        if index == 0 { return n }
        if case .fixed(let size) = dimension { return size }
        return 1
    }
    let count = dims.reduce(1, *)
    let x = try Tensor<Float>(shape: dims, scalars: (0..<count).map { Float(($0 * 7919) % 1000) / 1000 })
    let output = try session.run([input.name: ONNXValue(x)])
    guard let first = session.model.outputs.first, let values = output[first.name]?.floatTensor else { return }
    print(values.scalars.map { "\($0)" }.joined(separator: "\n"))
}

/// A memory-bound and a compute-bound reference loop, to read the machine's state from.
func calibrate() throws {
    var generator = SeededRandomGenerator(seed: 5)
    let x = try Tensor<Float>.randomUniform([1 << 22], low: -1, high: 1, generator: &generator)
    let values = x.scalars
    var sink: Float = 0
    report("calibrate: sum of 4M floats", seconds: bestTime {
        var total: Float = 0
        values.withUnsafeBufferPointer { for v in $0 { total += v } }
        sink += total
    })
    report("calibrate: relu of 4M floats", seconds: bestTime { _ = x.relu() })
    if sink == 42 { print(sink) }
}

do {
    switch arguments.first {
    case "gemm": try benchGEMM()
    case "conv": try benchConvolution()
    case "train": try benchTraining()
    case "onnx": try benchONNX()
    case "onnx-output": try printONNXOutput()
    case "calibrate": try calibrate()
    default:
        FileHandle.standardError.write(Data("usage: TensorBench gemm [SIZES] [THREADS] | conv [BATCH] | train [BATCH] [STEPS] | onnx MODEL.onnx [BATCHES]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("TensorBench: \(error)\n".utf8))
    exit(1)
}
