import Testing
import WardenCore

@testable import WardenTensor

struct TensorTests {
    @Test func constructionChecksShapes() throws {
        let t = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t[1, 2] == 6)
        #expect(t.rank == 2 && t.count == 6 && t.isContiguous)
        #expect(throws: WardenError.self) { try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: WardenError.self) { try Tensor<Float>(zeros: [-1, 3]) }
        #expect(throws: WardenError.self) { try Tensor<Float>(zeros: [1 << 20, 1 << 20]) }
        #expect(throws: WardenError.self) { try Tensor<Float>(zeros: [Int.max, 3]) }
        #expect(Tensor<Float>(4.5).scalar == 4.5)
        #expect(Tensor<Int64>([1, 2, 3]).shape == [3])
        #expect(try Tensor<Bool>(zeros: [2]).scalars == [false, false])
    }

    @Test func viewsShareStorageAndCopyOnlyWhenNeeded() throws {
        let t = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let transposed = t.transposed()
        #expect(transposed.shape == [3, 2])
        #expect(!transposed.isContiguous)
        #expect(transposed.scalars == [1, 4, 2, 5, 3, 6])
        #expect(transposed.storage === t.storage)
        #expect(try t.reshaped(to: [3, -1]).storage === t.storage)
        #expect(try transposed.reshaped(to: [6]).scalars == [1, 4, 2, 5, 3, 6])
        #expect(throws: WardenError.self) { try t.reshaped(to: [4, -1]) }
        #expect(throws: WardenError.self) { try t.reshaped(to: [-1, -1]) }
        #expect(try t.permuted([1, 0]).scalars == transposed.scalars)
        #expect(throws: WardenError.self) { try t.permuted([0, 0]) }
        #expect(try t.sliced(axis: 1, start: 1, end: 3).scalars == [2, 3, 5, 6])
        #expect(try t.sliced(axis: 1, start: -1, end: -4, step: -1).scalars == [3, 2, 1, 6, 5, 4])
        #expect(try t.sliced(axis: 1, start: 0, end: 100, step: 2).scalars == [1, 3, 4, 6])
        #expect(try t.sliced(axis: 0, start: 5, end: 9).count == 0)
        #expect(throws: WardenError.self) { try t.sliced(axis: 2, start: 0, end: 1) }
        #expect(try t.unsqueezed(axes: [0, -1]).shape == [1, 2, 3, 1])
        #expect(try t.unsqueezed(axes: [0]).squeezed().shape == [2, 3])
        #expect(throws: WardenError.self) { try t.squeezed(axes: [0]) }
        #expect(try t.flattened(axis: 0).shape == [1, 6])
        let row = try Tensor<Float>(shape: [1, 3], scalars: [7, 8, 9])
        let broadcast = try row.broadcast(to: [4, 3])
        #expect(broadcast.strides == [0, 1] && broadcast.scalars.count == 12)
        #expect(throws: WardenError.self) { try row.broadcast(to: [4, 2]) }
    }

    @Test func concatenateAndGather() throws {
        let a = try Tensor<Int64>(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = try Tensor<Int64>(shape: [2, 1], scalars: [5, 6])
        #expect(try Tensor.concatenated([a, b], axis: 1).scalars == [1, 2, 5, 3, 4, 6])
        #expect(try Tensor.concatenated([a, a], axis: 0).shape == [4, 2])
        #expect(throws: WardenError.self) { try Tensor.concatenated([a, b], axis: 0) }
        #expect(throws: WardenError.self) { try Tensor<Int64>.concatenated([], axis: 0) }
        let picked = try a.gathered(indices: Tensor<Int64>([1, -2, 1]), axis: 0)
        #expect(picked.shape == [3, 2] && picked.scalars == [3, 4, 1, 2, 3, 4])
        // The Shape → Gather(0-d index) pattern of torch.onnx.export.
        let dimension = try Tensor<Int64>([2, 3, 8, 8]).gathered(indices: Tensor<Int64>(0), axis: 0)
        #expect(dimension.shape == [] && dimension.scalar == 2)
        #expect(throws: WardenError.self) { try a.gathered(indices: Tensor<Int64>([2]), axis: 0) }
        #expect(a.converted(to: Float.self).scalars == [1, 2, 3, 4])
        #expect(try Tensor<Float>(shape: [3], scalars: [-1.7, 0, 2.9]).converted(to: Int64.self).scalars == [-1, 0, 2])
    }

    @Test func broadcastingArithmetic() throws {
        let m = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let bias = Tensor<Float>([10, 20, 30])
        #expect(try (m + bias).scalars == [11, 22, 33, 14, 25, 36])
        let column = try Tensor<Float>(shape: [2, 1], scalars: [1, 2])
        #expect(try (m * column).scalars == [1, 2, 3, 8, 10, 12])
        #expect(try (column - bias).shape == [2, 3])
        #expect(try (m.transposed() / Tensor<Float>(2)).scalars == [0.5, 2, 1, 2.5, 1.5, 3])
        #expect(throws: WardenError.self) { try m + Tensor<Float>([1, 2]) }
        #expect((m * 2 + 1).scalars == [3, 5, 7, 9, 11, 13])
        #expect(Tensor<Float>([-2, 0.5]).relu().scalars == [0, 0.5])
        #expect(Tensor<Float>([-2, 0.5]).leakyRelu(alpha: 0.1).scalars == [-0.2, 0.5])
        #expect(Tensor<Float>([-100, 0, 100]).sigmoid().scalars.map { ($0 * 1e6).rounded() } == [0, 500_000, 1_000_000])
        #expect(Tensor<Float>([-3, 0.5, 9]).clipped(lower: -1, upper: 1).scalars == [-1, 0.5, 1])
        #expect(Tensor<Float>([1, .nan]).hasNonFinite)
    }

    @Test func reductionsAndSoftmax() throws {
        let t = try Tensor<Float>(shape: [2, 3, 2], scalars: (1...12).map(Float.init))
        #expect(try t.sum().scalar == 78)
        #expect(try t.sum(axes: [1]).scalars == [9, 12, 27, 30])
        #expect(try t.sum(axes: [0, 2], keepingDimensions: true).shape == [1, 3, 1])
        #expect(try t.sum(axes: [0, 2]).scalars == [18, 26, 34])
        #expect(try t.mean(axes: [-1]).scalars == [1.5, 3.5, 5.5, 7.5, 9.5, 11.5])
        #expect(try t.max(axes: [1]).scalars == [5, 6, 11, 12])
        #expect(try t.argmax(axis: 1).scalars == [2, 2, 2, 2])
        #expect(throws: WardenError.self) { try t.sum(axes: [3]) }
        let logits = try Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, 1000])
        let p = try logits.softmax()
        #expect(Swift.abs(p[0, 2] - 0.66524096) < 1e-6)
        #expect(Swift.abs(p[1, 0] - 1 / 3) < 1e-6)
        let logP = try logits.logSoftmax()
        #expect(Swift.abs(logP[0, 0] - (-2.40760596)) < 1e-5)
        #expect(!logP.hasNonFinite)
    }

    @Test func batchedMatmulBroadcastsAndPromotesVectors() throws {
        let a = TensorTestSupport.random([2, 3, 4, 5], seed: 3)
        let b = TensorTestSupport.random([3, 5, 6], seed: 4)
        let product = try a.matmul(b)
        #expect(product.shape == [2, 3, 4, 6])
        let slice = try a.sliced(axis: 0, start: 1, end: 2).sliced(axis: 1, start: 2, end: 3).reshaped(to: [4, 5])
        let expected = try slice.matmul(b.sliced(axis: 0, start: 2, end: 3).reshaped(to: [5, 6]))
        let got = try product.sliced(axis: 0, start: 1, end: 2).sliced(axis: 1, start: 2, end: 3).reshaped(to: [4, 6])
        #expect(TensorTestSupport.maxDifference(got, expected) < 1e-5)
        // Folded batch: [2, 3, 4, 5] × [5, 6].
        let shared = TensorTestSupport.random([5, 6], seed: 5)
        let folded = try a.matmul(shared)
        #expect(folded.shape == [2, 3, 4, 6])
        #expect(try Tensor<Float>([1, 2]).matmul(Tensor<Float>([3, 4])).shape == [])
        #expect(try Tensor<Float>([1, 2]).matmul(Tensor<Float>(shape: [2, 3], repeating: 1)).scalars == [3, 3, 3])
        #expect(throws: WardenError.self) { try a.matmul(a) }
    }

    @Test func gemmMatchesItsComposition() throws {
        let a = TensorTestSupport.random([4, 7], seed: 31)
        let b = TensorTestSupport.random([5, 4], seed: 32)
        let c = TensorTestSupport.random([5], seed: 33)
        let fused = try Tensor.gemm(a, b, c, alpha: 0.5, beta: 2, transposeA: true, transposeB: true)
        let composed = try Tensor.matmul(a, b, transposeA: true, transposeB: true) * 0.5 + c * 2
        #expect(fused.shape == [7, 5])
        #expect(TensorTestSupport.maxDifference(fused, composed) < 1e-5)
        #expect(try Tensor.gemm(a.transposed(), a).shape == [7, 7])
        #expect(throws: WardenError.self) { try Tensor.gemm(a, b) }
        #expect(throws: WardenError.self) { try Tensor.gemm(a, a, Tensor<Float>([1, 2]), transposeA: true) }
    }
}
