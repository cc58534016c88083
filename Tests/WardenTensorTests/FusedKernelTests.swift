import Testing
import WardenCore
import WardenKernelsGeneric
import WardenTesting

@testable import WardenTensor

/// Weights packed in advance, the few-row kernel, fused ReLU/bias/pooling epilogues and the SIMD 2 × 2
/// max pool: each must give exactly what the plain path gives.
struct FusedKernelTests {
    /// `x · W + b` through packed weights equals ``Tensor/gemm(_:_:_:alpha:beta:transposeA:transposeB:)``
    /// (to rounding), every row gets the same bits at any batch size (row kernel or micro-kernel) and
    /// thread count, and the fused ReLU is the ReLU of the product.
    @Test(arguments: [(784, 70, true), (300, 33, false), (17, 5, true), (513, 40, false)])
    func denseWithPackedWeights(depth: Int, columns: Int, transposed: Bool) throws {
        let stored = TensorTestSupport.random(transposed ? [columns, depth] : [depth, columns], seed: UInt64(depth))
        let w = transposed ? stored.transposed() : stored
        let bias = TensorTestSupport.random([columns], seed: 3)
        let x = TensorTestSupport.random([13, depth], seed: 4)
        let weights = try DenseWeights(w)
        for kernels in KernelSet.supported {
            try TensorRuntime.withKernels(kernels) {
                let reference = try Tensor.gemm(x, w, bias)
                let batch = try Tensor.dense(x, weights, bias: bias)
                #expect(TensorTestSupport.maxDifference(batch, reference) <= 1e-4, "\(kernels)")
                let relu = try Tensor.dense(x, weights, bias: bias, relu: true)
                #expect(relu == batch.relu(), "\(kernels)")
                for rows in [1, 2, 3, 5, 7] {
                    let part = try x.sliced(axis: 0, start: 0, end: rows)
                    for threads in [1, 2] {
                        let few = try TensorRuntime.withThreads(threads) { try Tensor.dense(part, weights, bias: bias) }
                        let expected = try batch.sliced(axis: 0, start: 0, end: rows)
                        #expect(few == expected.contiguous(), "\(kernels), \(rows) rows, \(threads) threads")
                    }
                }
                // alpha and beta as ONNX Gemm has them.
                let scaled = try Tensor.dense(x, weights, bias: bias, alpha: 0.5, beta: 2)
                let expected = try Tensor.gemm(x, w, bias, alpha: 0.5, beta: 2)
                #expect(TensorTestSupport.maxDifference(scaled, expected) <= 1e-4, "\(kernels)")
            }
        }
    }

    @Test func denseRefusesAMismatchedInput() throws {
        let weights = try DenseWeights(TensorTestSupport.random([6, 4], seed: 5))
        #expect(throws: WardenError.self) { try Tensor.dense(TensorTestSupport.random([2, 5], seed: 6), weights, bias: nil) }
        #expect(throws: WardenError.self) { try DenseWeights(TensorTestSupport.random([6], seed: 7)) }
    }

    @Test func gemmWithFusedReluIsTheReluOfTheProduct() throws {
        let a = TensorTestSupport.random([40, 30], seed: 8)
        let b = TensorTestSupport.random([20, 30], seed: 9)
        let c = TensorTestSupport.random([20], seed: 10)
        for m in [2, 40] {
            let x = try a.sliced(axis: 0, start: 0, end: m)
            let plain = try Tensor.gemm(x, b, c, transposeB: true)
            let fused = try Tensor.gemm(x, b, c, alpha: 1, beta: 1, transposeA: false, transposeB: true, relu: true)
            #expect(fused == plain.relu())
        }
    }

    /// Random planes with ties and NaNs: the SIMD 2 × 2 kernel of every kernel set gives the general
    /// kernel's values and winners, for widths around its 4- and 8-wide steps.
    @Test(arguments: [2, 3, 6, 7, 8, 9, 14, 16, 17, 28, 29])
    func maxPool2x2MatchesTheGeneralKernel(width: Int) throws {
        var generator = SeededGenerator(seed: UInt64(width))
        let (planes, height) = (3, 6)
        var values = (0..<planes * height * width).map { _ in Float(Int.random(in: -3...3, using: &generator)) }
        for _ in 0..<(values.count / 9) { values[Int.random(in: 0..<values.count, using: &generator)] = .nan }
        let x = try Tensor(shape: [1, planes, height, width], scalars: values)
        let options = Pool2DOptions(kernel: [2, 2], strides: [2, 2])
        let g = try x.poolGeometry(options)
        let outputs = planes * g.outputHeight * g.outputWidth
        var expected = [Float](repeating: 0, count: outputs), expectedWinners = [Int32](repeating: 0, count: outputs)
        ConvolutionKernels.maxPool(g, planes: planes, x: x.pointer, out: &expected, argmax: &expectedWinners)
        for kernels in KernelSet.supported {
            var out = [Float](repeating: 0, count: outputs), winners = [Int32](repeating: 0, count: outputs)
            kernels.maxPool2x2(planes, height, width, g.outputHeight, g.outputWidth, x.pointer, &out, &winners)
            #expect(winners == expectedWinners, "\(kernels)")
            #expect(zip(out, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(kernels)")
            var valuesOnly = [Float](repeating: 0, count: outputs)
            kernels.maxPool2x2(planes, height, width, g.outputHeight, g.outputWidth, x.pointer, &valuesOnly, nil)
            #expect(zip(valuesOnly, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(kernels)")
        }
    }

    /// Convolution with ReLU and max pooling in one pass equals the three operations in turn, for
    /// any thread count, with the SIMD pool and with a general window.
    @Test(arguments: [
        Pool2DOptions(kernel: [2, 2], strides: [2, 2]), Pool2DOptions(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
        Pool2DOptions(kernel: [2, 2], strides: [2, 2], ceilMode: true),
    ])
    func convolutionWithFusedPooling(pool: Pool2DOptions) throws {
        let x = TensorTestSupport.random([5, 3, 11, 11], seed: 11)
        let w = TensorTestSupport.random([8, 3, 3, 3], seed: 12)
        let b = TensorTestSupport.random([8], seed: 13)
        let options = Conv2DOptions(pads: [1, 1, 1, 1])
        for kernels in KernelSet.supported {
            for threads in [1, 2] {
                try TensorRuntime.withKernels(kernels) {
                    try TensorRuntime.withThreads(threads) {
                        let plain = try x.conv2d(weight: w, bias: b, options: options).relu().maxPool2d(pool)
                        let fused = try x.conv2d(weight: w, bias: b, options: options, relu: true, maxPool: pool)
                        #expect(fused == plain, "\(kernels), \(threads) threads")
                        let noBias = try x.conv2d(weight: w, bias: nil, options: options, relu: false, maxPool: pool)
                        #expect(noBias == (try x.conv2d(weight: w, options: options).maxPool2d(pool)), "\(kernels), \(threads) threads")
                    }
                }
            }
        }
    }

    @Test func fusedPoolingThatDoesNotFitIsAnError() throws {
        let x = TensorTestSupport.random([1, 1, 4, 4], seed: 14)
        let w = TensorTestSupport.random([2, 1, 3, 3], seed: 15)
        #expect(throws: WardenError.self) {
            try x.conv2d(weight: w, bias: nil, options: Conv2DOptions(), relu: false, maxPool: Pool2DOptions(kernel: [3, 3]))
        }
    }
}
