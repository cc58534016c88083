import Testing
import WardenTesting

@testable import WardenTensor

/// Seeded random tensors and tolerant comparisons shared by the tensor tests.
enum TensorTestSupport {
    /// Uniform values in `low..<high`, avoiding `|x| < avoidingZero` (kinks of ReLU, abs, max).
    static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1, avoidingZero: Float = 0) -> Tensor<Float> {
        var generator = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        var values: [Float] = []
        values.reserveCapacity(count)
        while values.count < count {
            let x = Float.random(in: low..<high, using: &generator)
            if Swift.abs(x) >= avoidingZero { values.append(x) }
        }
        return try! Tensor(shape: shape, scalars: values)
    }

    /// The largest absolute difference between two equally shaped tensors.
    static func maxDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.scalars, b.scalars).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
    }

    /// `A × B` in double precision, by the definition (the reference for GEMM).
    static func referenceMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k { total += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(total)
            }
        }
        return c
    }
}
