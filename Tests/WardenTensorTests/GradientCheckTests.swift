import Foundation
import Testing
import WardenCore

@testable import WardenTensor

/// Reverse-mode gradients against central finite differences, for every differentiable operation.
struct GradientCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var shapes: [[Int]]
        /// Inputs drawn away from 0 so kinks (ReLU, abs, max, pooling ties) are not straddled.
        var avoidingZero: Float = 0
        var low: Float = -1
        var high: Float = 1
        var function: @Sendable ([Variable]) throws -> Variable
        var testDescription: String { name }
    }

    static let conv = Conv2DOptions(strides: [2, 1], pads: [1, 0, 0, 1], dilations: [1, 2])
    static let grouped = Conv2DOptions(pads: [1, 1, 1, 1], groups: 2)
    static let pool = Pool2DOptions(kernel: [2, 2], strides: [2, 2])
    static let paddedPool = Pool2DOptions(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)
    static let labels = Tensor<Int64>([2, 0, 1])

    static let cases: [Case] = [
        Case(name: "add broadcast", shapes: [[2, 3], [3]]) { try $0[0] + $0[1] },
        Case(name: "sub broadcast", shapes: [[2, 1], [1, 3]]) { try $0[0] - $0[1] },
        Case(name: "mul broadcast", shapes: [[2, 3], [2, 1]]) { try $0[0] * $0[1] },
        Case(name: "div", shapes: [[2, 3], [2, 3]], avoidingZero: 0.5) { try $0[0] / $0[1] },
        Case(name: "scalar ops", shapes: [[4]]) { -(($0[0] * 3 + 1) / 2 - 0.5) },
        Case(name: "maximum", shapes: [[3, 2], [2]], avoidingZero: 0.3) { try $0[0].maximum($0[1]) },
        Case(name: "exp log sqrt", shapes: [[5]], low: 0.5, high: 2) { $0[0].exp().log().squareRoot().squared() },
        Case(name: "abs", shapes: [[6]], avoidingZero: 0.1) { $0[0].abs() },
        Case(name: "relu", shapes: [[6]], avoidingZero: 0.1) { $0[0].relu() },
        Case(name: "leaky relu", shapes: [[6]], avoidingZero: 0.1) { $0[0].leakyRelu(alpha: 0.2) },
        Case(name: "sigmoid tanh", shapes: [[6]]) { $0[0].sigmoid().tanh() },
        Case(name: "clip", shapes: [[8]], avoidingZero: 0.1, low: -2, high: 2) { $0[0].clipped(lower: -1, upper: 1) },
        Case(name: "matmul", shapes: [[3, 4], [4, 5]]) { try $0[0].matmul($0[1]) },
        Case(name: "matmul transposed", shapes: [[4, 3], [5, 4]]) {
            try Variable.matmul($0[0], $0[1], transposeA: true, transposeB: true)
        },
        Case(name: "matmul batched broadcast", shapes: [[2, 3, 4], [4, 2]]) { try $0[0].matmul($0[1]) },
        Case(name: "matmul batch both", shapes: [[2, 1, 3, 4], [3, 4, 2]]) { try $0[0].matmul($0[1]) },
        Case(name: "gemm alpha beta broadcast C", shapes: [[4, 3], [5, 4], [5]]) {
            try Variable.gemm($0[0], $0[1], $0[2], alpha: 0.5, beta: 2, transposeA: true, transposeB: true)
        },
        Case(name: "matmul vectors", shapes: [[4], [4, 3]]) { try $0[0].matmul($0[1]) },
        Case(name: "sum mean axes", shapes: [[2, 3, 4]]) { try $0[0].sum(axes: [1]).mean(axes: [0], keepingDimensions: true) },
        Case(name: "softmax", shapes: [[3, 4]]) { try $0[0].softmax(axis: 1) },
        Case(name: "log softmax axis 0", shapes: [[3, 4]]) { try $0[0].logSoftmax(axis: 0) },
        Case(name: "reshape permute", shapes: [[2, 3, 4]]) { try $0[0].reshaped(to: [6, 4]).permuted([1, 0]).transposed() },
        Case(name: "slice concat", shapes: [[3, 4], [3, 2]]) {
            try Variable.concatenated([$0[0].sliced(axis: 1, start: 3, end: 0, step: -2), $0[1]], axis: 1)
        },
        Case(name: "gather broadcast", shapes: [[4, 3], [1, 3]]) {
            try $0[0].gathered(indices: Tensor<Int64>([3, 0, 3]), axis: 0) + $0[1].broadcast(to: [3, 3])
        },
        Case(name: "conv2d strided padded dilated", shapes: [[2, 2, 5, 6], [3, 2, 3, 2], [3]]) {
            try $0[0].conv2d(weight: $0[1], bias: $0[2], options: conv)
        },
        Case(name: "conv2d groups", shapes: [[1, 4, 4, 4], [6, 2, 3, 3]]) { try $0[0].conv2d(weight: $0[1], options: grouped) },
        Case(name: "conv2d pointwise", shapes: [[2, 3, 3, 3], [2, 3, 1, 1], [2]]) { try $0[0].conv2d(weight: $0[1], bias: $0[2]) },
        Case(name: "max pool", shapes: [[2, 2, 4, 4]]) { try $0[0].maxPool2d(pool) },
        Case(name: "max pool padded ceil", shapes: [[1, 2, 5, 5]]) { try $0[0].maxPool2d(paddedPool) },
        Case(name: "average pool padded", shapes: [[1, 2, 5, 5]]) { try $0[0].averagePool2d(paddedPool) },
        Case(name: "average pool count pad", shapes: [[1, 1, 4, 5]]) {
            var options = paddedPool
            options.countIncludePad = true
            return try $0[0].averagePool2d(options)
        },
        Case(name: "global average pool", shapes: [[2, 3, 2, 2]]) { try $0[0].globalAveragePool() },
        Case(name: "batch norm inference", shapes: [[3, 2, 2, 2], [2], [2]]) {
            try $0[0].batchNormalized(scale: $0[1], bias: $0[2], mean: Tensor([0.1, -0.2]), variance: Tensor([0.5, 2]))
        },
        Case(name: "batch norm batch statistics", shapes: [[4, 3], [3], [3]]) {
            try $0[0].batchNormalizedWithBatchStatistics(scale: $0[1], bias: $0[2]).output
        },
        Case(name: "batch norm batch statistics 4-D", shapes: [[2, 2, 2, 3], [2], [2]]) {
            try $0[0].batchNormalizedWithBatchStatistics(scale: $0[1], bias: $0[2]).output
        },
        Case(name: "cross entropy", shapes: [[3, 4]]) { try $0[0].softmaxCrossEntropy(labels: labels) },
        Case(name: "mse", shapes: [[2, 3]]) { try $0[0].meanSquaredError(targets: Tensor(shape: [2, 3], repeating: 0.25)) },
        Case(name: "shared input", shapes: [[3]]) { try $0[0] * $0[0] + $0[0].exp() },
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) throws {
        let inputs = c.shapes.enumerated().map {
            TensorTestSupport.random($0.element, seed: UInt64(100 + $0.offset), low: c.low, high: c.high, avoidingZero: c.avoidingZero)
        }
        // A fixed random projection turns any output into a scalar objective.
        let output = try c.function(inputs.map { Variable($0) })
        let projection = TensorTestSupport.random(output.shape, seed: 99)
        func objective(_ values: [Tensor<Float>]) throws -> Double {
            let out = try c.function(values.map { Variable($0) }).value
            return zip(out.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let variables = inputs.map { Variable($0, requiresGradient: true) }
        let analytic = try c.function(variables).gradients(withRespectTo: variables, seed: projection)
        let epsilon: Float = 1e-2
        for (index, input) in inputs.enumerated() {
            var values = input.scalars
            for element in values.indices {
                let saved = values[element]
                var perturbed = inputs
                values[element] = saved + epsilon
                perturbed[index] = try Tensor(shape: input.shape, scalars: values)
                let plus = try objective(perturbed)
                values[element] = saved - epsilon
                perturbed[index] = try Tensor(shape: input.shape, scalars: values)
                let minus = try objective(perturbed)
                values[element] = saved
                let numeric = Float((plus - minus) / Double(2 * epsilon))
                let got = analytic[index].scalars[element]
                #expect(
                    Swift.abs(got - numeric) <= 2e-3 + 2e-2 * Swift.abs(numeric),
                    "\(c.name): input \(index) element \(element): analytic \(got), numeric \(numeric)")
            }
        }
    }

    @Test func gradientsOfUnusedAndNonScalarVariables() throws {
        let x = Variable(Tensor<Float>([1, 2]), requiresGradient: true)
        let unused = Variable(Tensor<Float>([5]), requiresGradient: true)
        let y = try (x * x).sum()
        let grads = try y.gradients(withRespectTo: [x, unused])
        #expect(grads[0].scalars == [2, 4])
        #expect(grads[1].scalars == [0])
        #expect(throws: WardenError.self) { try (x * x).gradients(withRespectTo: [x]) }
        #expect(throws: WardenError.self) { try y.gradients(withRespectTo: [x], seed: Tensor<Float>([1, 2])) }
        // A constant graph records nothing.
        let constant = Variable(Tensor<Float>([1, 2])).relu()
        #expect(!constant.requiresGradient && constant.inputs.isEmpty)
    }

    @Test func longChainsBackpropagateIteratively() throws {
        let x = Variable(Tensor<Float>([1]), requiresGradient: true)
        var y = x
        for _ in 0..<3_000 { y = y * 1.0001 }
        let g = try y.sum().gradient(withRespectTo: x)
        #expect(Swift.abs(g.scalars[0] - Float(Foundation.pow(1.0001, 3_000.0))) < 1e-2)
    }
}
