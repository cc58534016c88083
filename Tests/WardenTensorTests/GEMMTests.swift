import Testing
import WardenCore
import WardenTesting

@testable import WardenTensor

struct GEMMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var m: Int, n: Int, k: Int
        var transposeA = false, transposeB = false
        var testDescription: String { "\(m)×\(k)\(transposeA ? "ᵀ" : "") · \(k)×\(n)\(transposeB ? "ᵀ" : "")" }
    }

    /// Shapes around every kernel's tile and block edges (mr 6/12, nr 8/16/32, kc 256/384), degenerate
    /// sizes, and both transposes.
    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1), Case(m: 1, n: 37, k: 5), Case(m: 37, n: 1, k: 5), Case(m: 5, n: 7, k: 0),
        Case(m: 12, n: 32, k: 16), Case(m: 13, n: 33, k: 17), Case(m: 11, n: 31, k: 385),
        Case(m: 6, n: 16, k: 257), Case(m: 70, n: 90, k: 40, transposeA: true),
        Case(m: 70, n: 90, k: 40, transposeB: true), Case(m: 29, n: 45, k: 300, transposeA: true, transposeB: true),
        Case(m: 150, n: 2100, k: 9), Case(m: 300, n: 70, k: 64),
        // Few rows: B streamed in place (row-major and transposed B, strided A).
        Case(m: 3, n: 40, k: 50, transposeB: true), Case(m: 4, n: 33, k: 19, transposeA: true),
        Case(m: 2, n: 9, k: 70, transposeA: true, transposeB: true),
    ]

    static func operands(_ c: Case, seed: UInt64) -> (Tensor<Float>, Tensor<Float>, [Float]) {
        let a = TensorTestSupport.random([c.m, c.k], seed: seed)
        let b = TensorTestSupport.random([c.k, c.n], seed: seed + 1)
        let reference = TensorTestSupport.referenceMatmul(a.scalars, b.scalars, m: c.m, n: c.n, k: c.k)
        // Hand the kernels the stored (transposed) layout so the packing must undo it.
        let storedA = c.transposeA ? a.transposed().contiguous() : a
        let storedB = c.transposeB ? b.transposed().contiguous() : b
        return (storedA, storedB, reference)
    }

    @Test(arguments: cases)
    func everyKernelSetMatchesTheReference(_ c: Case) throws {
        let (a, b, reference) = Self.operands(c, seed: UInt64(c.m * 1000 + c.n))
        let expected = try Tensor(shape: [c.m, c.n], scalars: reference)
        for kernels in KernelSet.supported {
            for threads in [1, 2] {
                let product = try TensorRuntime.withKernels(kernels) {
                    try TensorRuntime.withThreads(threads) {
                        try Tensor.matmul(a, b, transposeA: c.transposeA, transposeB: c.transposeB)
                    }
                }
                let error = TensorTestSupport.maxDifference(product, expected)
                #expect(error <= 1e-5 * Float(Swift.max(c.k, 1)), "\(kernels), \(threads) threads: max error \(error)")
            }
        }
    }

    @Test func threadCountDoesNotChangeABit() throws {
        // 2·256·512·300 flops is above the parallel threshold, so two threads really split the work.
        let a = TensorTestSupport.random([256, 300], seed: 7)
        let b = TensorTestSupport.random([300, 512], seed: 8)
        for kernels in KernelSet.supported {
            let one = try TensorRuntime.withKernels(kernels) { try TensorRuntime.withThreads(1) { try a.matmul(b) } }
            let two = try TensorRuntime.withKernels(kernels) { try TensorRuntime.withThreads(2) { try a.matmul(b) } }
            #expect(one.scalars == two.scalars, "\(kernels)")
        }
        // Tall and narrow: the split goes by rows instead.
        let tall = TensorTestSupport.random([4000, 64], seed: 9)
        let narrow = TensorTestSupport.random([64, 40], seed: 10)
        let one = try TensorRuntime.withThreads(1) { try tall.matmul(narrow) }
        let two = try TensorRuntime.withThreads(2) { try tall.matmul(narrow) }
        #expect(one.scalars == two.scalars)
    }

    @Test func kernelSetsAgreeOnALargeProduct() throws {
        let a = TensorTestSupport.random([200, 700], seed: 11)
        let b = TensorTestSupport.random([700, 300], seed: 12)
        let results = try KernelSet.supported.map { kernels in try TensorRuntime.withKernels(kernels) { try a.matmul(b) } }
        for result in results.dropFirst() {
            #expect(TensorTestSupport.maxDifference(result, results[0]) < 1e-3)
        }
    }

    @Test func theCPUReportsTheKernelsItRuns() throws {
        #expect(KernelSet.supported.first == .generic)
        #expect(KernelSet.supported.contains(TensorRuntime.defaultKernels))
        #if arch(x86_64)
        // Every CPU this project targets has AVX2 (the CI and dev machines also have AVX-512).
        #expect(KernelSet.supported.contains(.avx2))
        #endif
        for kernels in KernelSet.allCases where !kernels.isSupported {
            #expect(throws: WardenError.self) { try TensorRuntime.withKernels(kernels) {} }
        }
        #expect(KernelSet(name: "AVX512") == .avx512)
        #expect(KernelSet(name: "sse9") == nil)
    }

    @Test func alphaBetaAndStridedOutput() throws {
        // C (inside a wider buffer, ldc 9) = 2·A·B + 0.5·C through the raw interface.
        let a = TensorTestSupport.random([5, 4], seed: 1).scalars
        let b = TensorTestSupport.random([4, 6], seed: 2).scalars
        var c = [Float](repeating: 3, count: 5 * 9)
        for kernels in KernelSet.supported {
            c = [Float](repeating: 3, count: 5 * 9)
            c.withUnsafeMutableBufferPointer { out in
                GEMM.multiply(
                    m: 5, n: 6, k: 4, alpha: 2, a: a, aRowStride: 4, aColumnStride: 1, b: b, bRowStride: 6, bColumnStride: 1,
                    beta: 0.5, c: out.baseAddress!, ldc: 9, kernels: kernels)
            }
            let reference = TensorTestSupport.referenceMatmul(a, b, m: 5, n: 6, k: 4)
            for i in 0..<5 {
                for j in 0..<9 {
                    let expected: Float = j < 6 ? 2 * reference[i * 6 + j] + 1.5 : 3
                    #expect(Swift.abs(c[i * 9 + j] - expected) < 1e-5, "\(kernels) (\(i), \(j))")
                }
            }
        }
    }

    /// A row-major A is read in place by the micro-kernel, a column-major one is packed first: the two
    /// give the same bits (edge tiles, several depth blocks, packed weights, one and two threads).
    @Test func aReadInPlaceGivesThePackedBits() throws {
        let (m, n, k) = (47, 37, 610)
        let a = TensorTestSupport.random([m, k], seed: 11).scalars
        var aColumnMajor = [Float](repeating: 0, count: m * k)
        for i in 0..<m {
            for p in 0..<k { aColumnMajor[p * m + i] = a[i * k + p] }
        }
        let b = TensorTestSupport.random([k, n], seed: 12).scalars
        for kernels in KernelSet.supported {
            let packed = PackedMatrix(depth: k, columns: n, b: b, rowStride: n, columnStride: 1, kernels: kernels)
            var results: [[UInt32]] = []
            for threads in [1, 2] {
                for (source, rowStride, columnStride) in [(a, k, 1), (aColumnMajor, 1, m)] {
                    var c = [Float](repeating: .nan, count: m * n)
                    var d = [Float](repeating: .nan, count: m * n)
                    c.withUnsafeMutableBufferPointer { out in
                        GEMM.multiply(
                            m: m, n: n, k: k, a: source, aRowStride: rowStride, aColumnStride: columnStride, b: b, bRowStride: n,
                            bColumnStride: 1, c: out.baseAddress!, ldc: n, kernels: kernels, threads: threads)
                    }
                    d.withUnsafeMutableBufferPointer { out in
                        GEMM.multiply(
                            m: m, a: source, aRowStride: rowStride, aColumnStride: columnStride, packed: packed, accumulate: false,
                            relu: false, c: out.baseAddress!, ldc: n, threads: threads)
                    }
                    results.append(c.map(\.bitPattern))
                    results.append(d.map(\.bitPattern))
                }
            }
            for other in results.dropFirst() { #expect(other == results[0], "\(kernels)") }
            let reference = TensorTestSupport.referenceMatmul(a, b, m: m, n: n, k: k)
            let worst = zip(results[0], reference).reduce(Float(0)) { Swift.max($0, Swift.abs(Float(bitPattern: $1.0) - $1.1)) }
            #expect(worst < 1e-3, "\(kernels): off by \(worst)")
        }
    }

    @Test func convolutionAndGradientsAgreeOnEveryKernelSet() throws {
        let x = TensorTestSupport.random([3, 4, 9, 9], seed: 21)
        let w = TensorTestSupport.random([8, 4, 3, 3], seed: 22)
        let options = Conv2DOptions(strides: [2, 2], pads: [1, 1, 1, 1])
        func run() throws -> [Tensor<Float>] {
            let input = Variable(x, requiresGradient: true)
            let weight = Variable(w, requiresGradient: true)
            let y = try input.conv2d(weight: weight, options: options).relu()
            let loss = try y.sum()
            return [y.value] + (try loss.gradients(withRespectTo: [input, weight]))
        }
        let results = try KernelSet.supported.map { kernels in try TensorRuntime.withKernels(kernels) { try run() } }
        for other in results.dropFirst() {
            for (a, b) in zip(results[0], other) { #expect(TensorTestSupport.maxDifference(a, b) < 1e-4) }
        }
    }

    @Test func packingBuffersAreReusedButLargeOnesAreFreed() {
        let small = PackingBufferPool.take(5000)
        #expect(small.capacity >= 5000)
        PackingBufferPool.give(small)
        let again = PackingBufferPool.take(5000)
        #expect(again.capacity >= 5000)
        PackingBufferPool.give(again)
        // Never retained: a buffer above the limit is freed on return (and a new one is made next time).
        let large = PackingBufferPool.take(PackingBufferPool.maximumRetainedFloats + 1)
        #expect(large.capacity > PackingBufferPool.maximumRetainedFloats)
        PackingBufferPool.give(large)
    }
}

struct StorageCacheTests {
    /// A large tensor's buffer goes to the next tensor of its size instead of back to the OS, and the
    /// cache stays within its bounds however many sizes pass through it; small buffers are not kept.
    @Test func largeBuffersAreReusedWithinBounds() throws {
        // An odd size no other test allocates, so a parallel test cannot take the buffer in between.
        let count = 300_017
        var first: UnsafeMutablePointer<Float>?
        do {
            let t = try Tensor<Float>(zeros: [count])
            first = t.pointer
        }
        let again = try Tensor<Float>(zeros: [count])
        #expect(again.pointer == first)
        #expect(again.scalars.allSatisfy { $0 == 0 })
        for i in 0..<80 { _ = try Tensor<Float>(zeros: [70_000 + 20_000 * i]) }
        let retained = StorageCache.retained
        #expect(retained.buffers <= StorageCache.maximumRetained && retained.bytes <= StorageCache.maximumRetainedBytes)
        #expect(StorageCache.roundedSize(1000) == 1000)
        #expect(StorageCache.roundedSize(StorageCache.minimumBytes + 1) == StorageCache.minimumBytes + StorageCache.granule)
    }
}
