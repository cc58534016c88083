import Testing
import WardenTesting

@testable import WardenTensor

/// The convolution and pooling kernels against their definitions, on every kernel set and thread count.
@Suite struct ConvolutionTests {
    /// `y[n, m, oh, ow] = b[m] + Σ x[n, g·C/G + c, oh·sh − pt + i·dh, ow·sw − pl + j·dw] · w[m, c, i, j]`, in double.
    static func reference(_ x: Tensor<Float>, _ w: Tensor<Float>, _ b: Tensor<Float>?, _ o: Conv2DOptions, relu: Bool) -> [Float] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let outH = (h + o.pads[0] + o.pads[2] - o.dilations[0] * (kh - 1) - 1) / o.strides[0] + 1
        let outW = (wd + o.pads[1] + o.pads[3] - o.dilations[1] * (kw - 1) - 1) / o.strides[1] + 1
        let (xs, ws, bs) = (x.scalars, w.scalars, b?.scalars)
        var y: [Float] = []
        for image in 0..<n {
            for out in 0..<m {
                let group = out / (m / o.groups)
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        var total = Double(bs?[out] ?? 0)
                        for ch in 0..<cg {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let yy = oh * o.strides[0] - o.pads[0] + i * o.dilations[0]
                                    let xx = ow * o.strides[1] - o.pads[1] + j * o.dilations[1]
                                    guard yy >= 0, yy < h, xx >= 0, xx < wd else { continue }
                                    let input = xs[((image * c + group * cg + ch) * h + yy) * wd + xx]
                                    total += Double(input) * Double(ws[((out * cg + ch) * kh + i) * kw + j])
                                }
                            }
                        }
                        y.append(relu ? Float(Swift.max(0, total)) : Float(total))
                    }
                }
            }
        }
        return y
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [Int]
        var weight: [Int]
        var options = Conv2DOptions()
        var bias = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "3x3 pad 1, batch 1", input: [1, 1, 7, 9], weight: [3, 1, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "odd sizes, batch 3", input: [3, 5, 11, 6], weight: [7, 5, 3, 2], options: Conv2DOptions(pads: [1, 0, 1, 1])),
        Case(name: "stride 2, asymmetric pads", input: [2, 3, 9, 10], weight: [5, 3, 3, 3], options: Conv2DOptions(strides: [2, 2], pads: [0, 1, 2, 1])),
        Case(name: "strides 3x1, dilation 2", input: [2, 2, 13, 12], weight: [4, 2, 3, 3], options: Conv2DOptions(strides: [3, 1], pads: [2, 2, 2, 2], dilations: [2, 2])),
        Case(name: "groups 2", input: [2, 4, 8, 8], weight: [6, 2, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1], groups: 2)),
        Case(name: "depthwise", input: [2, 3, 6, 7], weight: [3, 1, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1], groups: 3), bias: false),
        Case(name: "pointwise, no padding", input: [3, 6, 5, 5], weight: [4, 6, 1, 1]),
        Case(name: "valid 5x5, no bias", input: [2, 3, 9, 9], weight: [2, 3, 5, 5], bias: false),
        Case(name: "padding wider than the window reach", input: [1, 2, 3, 3], weight: [2, 2, 2, 2], options: Conv2DOptions(strides: [2, 2], pads: [3, 3, 3, 3])),
        // Large enough to split over threads (by images, then by columns of one image) and to block the depth.
        Case(name: "threaded by images", input: [8, 16, 20, 20], weight: [32, 16, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "threaded by columns, depth blocked", input: [1, 48, 26, 26], weight: [40, 48, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
    ]

    @Test(arguments: cases)
    func matchesTheDefinition(_ test: Case) throws {
        let x = TensorTestSupport.random(test.input, seed: 31)
        let w = TensorTestSupport.random(test.weight, seed: 32, low: -0.3, high: 0.3)
        let b = test.bias ? TensorTestSupport.random([test.weight[0]], seed: 33) : nil
        for relu in [false, true] {
            let expected = Self.reference(x, w, b, test.options, relu: relu)
            var outputs: [Tensor<Float>] = []
            for kernels in KernelSet.supported {
                for threads in [1, 2] {
                    let y = try TensorRuntime.withKernels(kernels) {
                        try TensorRuntime.withThreads(threads) { try x.conv2d(weight: w, bias: b, options: test.options, relu: relu) }
                    }
                    let worst = zip(y.scalars, expected).reduce(Float(0)) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
                    #expect(y.count == expected.count && worst < 1e-4, "\(kernels), \(threads) thread(s), relu \(relu): off by \(worst)")
                    outputs.append(y)
                }
                // The thread count never changes a bit.
                #expect(outputs[outputs.count - 2].scalars == outputs[outputs.count - 1].scalars, "\(kernels)")
            }
        }
    }

    static let directCases: [Case] = [
        Case(name: "1 channel, 16 out (the bench CNN's first)", input: [3, 1, 28, 28], weight: [16, 1, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "odd channel counts, width 8", input: [2, 3, 10, 8], weight: [7, 3, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "stride 2 down, dilation, asymmetric pads", input: [2, 2, 13, 14], weight: [5, 2, 3, 2], options: Conv2DOptions(strides: [2, 1], pads: [2, 0, 1, 2], dilations: [2, 1]), bias: false),
        Case(name: "groups 3", input: [2, 6, 9, 11], weight: [9, 2, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1], groups: 3)),
        Case(name: "no padding (reads the image itself)", input: [2, 4, 12, 12], weight: [6, 4, 3, 3]),
        // One image, enough flops to split its channel blocks over threads.
        Case(name: "batch 1 split by channel blocks", input: [1, 12, 16, 16], weight: [20, 12, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "16 to 32 channels on 14 × 14 (the bench CNN's second)", input: [3, 16, 14, 14], weight: [32, 16, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
        Case(name: "batch 1, 37 channels, odd 9 × 11 output", input: [1, 5, 9, 11], weight: [37, 5, 3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1])),
    ]

    /// The direct kernel (small patches, unit column stride) and, with 2 × 2 pooling, the channels-in-lanes
    /// kernel give exactly the bits of the packed GEMM they replace, for every kernel set this CPU runs,
    /// with and without ReLU and pooling, on one or two threads.
    @Test(arguments: directCases)
    func directConvolutionMatchesTheGEMMPathBitForBit(_ test: Case) throws {
        let x = TensorTestSupport.random(test.input, seed: 51).contiguous()
        let w = TensorTestSupport.random(test.weight, seed: 52, low: -0.3, high: 0.3).contiguous()
        let b = test.bias ? TensorTestSupport.random([test.weight[0]], seed: 53).contiguous() : nil
        let plan = try Conv2DPlan(input: test.input, weight: test.weight, options: test.options)
        let pool = Pool2DOptions(kernel: [2, 2], strides: [2, 2])
        for kernels in KernelSet.supported {
            for (relu, pooled) in [(false, false), (true, false), (true, true), (false, true)] {
                var pooling: Conv2DForward.Pooling?
                var count = plan.batch * plan.outputChannels * plan.spatial
                if pooled {
                    let geometry = try Tensor<Float>.poolGeometry(shape: plan.outputShape, pool)
                    pooling = Conv2DForward.Pooling(geometry: geometry, kernels: kernels)
                    count = plan.batch * plan.outputChannels * geometry.outputHeight * geometry.outputWidth
                }
                var results: [[Float]] = []
                for (allowDirect, lanes) in [(false, false), (true, false), (true, true)] {
                    let forward = Conv2DForward(plan: plan, kernels: kernels, weight: w.pointer, allowDirect: allowDirect, lanes: lanes)
                    defer { forward.release() }
                    #expect((forward.direct != nil) == allowDirect, "\(test.name): the direct kernel should apply")
                    #expect((forward.lane != nil) == (lanes && plan.groups == 1), "\(test.name): the lane kernel should apply")
                    for threads in [1, 2] {
                        var y = [Float](repeating: .nan, count: count)
                        y.withUnsafeMutableBufferPointer { out in
                            forward.run(
                                x: x.pointer, bias: b.map { UnsafePointer($0.pointer) }, relu: relu, pooling: pooling, y: out.baseAddress!,
                                threads: threads)
                        }
                        results.append(y)
                    }
                }
                // Bit patterns, so NaN and signed zeros compare too.
                let bits = results.map { $0.map(\.bitPattern) }
                for other in bits.dropFirst() {
                    #expect(other == bits[0], "\(test.name), \(kernels), relu \(relu), pooled \(pooled)")
                }
            }
        }
    }

    @Test func fusedReLUMatchesConvolutionThenReLU() throws {
        let x = TensorTestSupport.random([2, 3, 8, 8], seed: 41)
        let w = TensorTestSupport.random([4, 3, 3, 3], seed: 42)
        let options = Conv2DOptions(pads: [1, 1, 1, 1])
        let fused = try Variable(x).conv2d(weight: Variable(w), bias: nil, options: options, relu: true)
        #expect(fused.value.scalars == (try x.conv2d(weight: w, options: options)).relu().scalars)
        // With a gradient to take, the pair is recorded unfused and differentiates as before.
        let input = Variable(x, requiresGradient: true)
        let y = try input.conv2d(weight: Variable(w), bias: nil, options: options, relu: true)
        let gradient = try y.sum().gradients(withRespectTo: [input])[0]
        let plain = try Variable(x, requiresGradient: true)
        let expected = try plain.conv2d(weight: Variable(w), options: options).relu().sum().gradients(withRespectTo: [plain])[0]
        #expect(gradient.scalars == expected.scalars)
    }

    static let pools: [Pool2DOptions] = [
        Pool2DOptions(kernel: [2, 2], strides: [2, 2]),
        Pool2DOptions(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
        Pool2DOptions(kernel: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1], ceilMode: true),
        Pool2DOptions(kernel: [2, 3], strides: [1, 1], pads: [0, 1, 1, 2], dilations: [2, 2]),
        Pool2DOptions(kernel: [1, 1], strides: [3, 2]),
    ]

    /// Max pooling by the definition: per window, the first largest input (the first NaN wins and
    /// stays), and its index in the plane; −∞ and −1 for a window wholly in the padding.
    static func referencePool(_ x: [Float], planes: Int, h: Int, w: Int, _ o: Pool2DOptions, outH: Int, outW: Int) -> ([Float], [Int32]) {
        var values: [Float] = [], winners: [Int32] = []
        for p in 0..<planes {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var best = -Float.infinity, index: Int32 = -1
                    for i in 0..<o.kernel[0] {
                        for j in 0..<o.kernel[1] {
                            let y = oh * o.strides[0] - o.pads[0] + i * o.dilations[0]
                            let xx = ow * o.strides[1] - o.pads[1] + j * o.dilations[1]
                            guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                            let v = x[p * h * w + y * w + xx]
                            if index < 0 || (!best.isNaN && (v.isNaN || v > best)) {
                                best = v
                                index = Int32(y * w + xx)
                            }
                        }
                    }
                    values.append(best)
                    winners.append(index)
                }
            }
        }
        return (values, winners)
    }

    @Test(arguments: pools)
    func maxPoolMatchesTheDefinition(_ options: Pool2DOptions) throws {
        var x = TensorTestSupport.random([3, 5, 9, 27], seed: 51).scalars
        // NaNs, and ties (a window whose inputs are all equal).
        x[7] = .nan
        x[200] = .nan
        for i in 300..<330 { x[i] = 0.25 }
        let input = try Tensor(shape: [3, 5, 9, 27], scalars: x)
        for threads in [1, 2] {
            let (output, indices) = try TensorRuntime.withThreads(threads) { try input.maxPool2dWithIndices(options) }
            let (values, winners) = Self.referencePool(
                x, planes: 15, h: 9, w: 27, options, outH: output.shape[2], outW: output.shape[3])
            #expect(indices == winners)
            #expect(zip(output.scalars, values).allSatisfy { $0 == $1 || $0.isNaN && $1.isNaN })
            let plain = try TensorRuntime.withThreads(threads) { try input.maxPool2d(options) }.scalars
            #expect(zip(plain, values).allSatisfy { $0 == $1 || $0.isNaN && $1.isNaN })
        }
    }

    @Test func maxPoolSplitsLargeInputsOverThreads() throws {
        let input = TensorTestSupport.random([16, 16, 28, 28], seed: 52)
        let options = Pool2DOptions(kernel: [2, 2], strides: [2, 2])
        let one = try TensorRuntime.withThreads(1) { try input.maxPool2dWithIndices(options) }
        let two = try TensorRuntime.withThreads(2) { try input.maxPool2dWithIndices(options) }
        #expect(one.output == two.output && one.indices == two.indices)
    }
}
