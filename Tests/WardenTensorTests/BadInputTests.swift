import Testing
import WardenCore

@testable import WardenTensor

/// Shapes and options a hostile model file could carry: every one is an `.invalidInput` error.
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var operation: @Sendable () throws -> Void
        var testDescription: String { name }
    }

    static let image = try! Tensor<Float>(zeros: [1, 2, 5, 5])
    static let weight = try! Tensor<Float>(zeros: [4, 2, 3, 3])

    static let cases: [Case] = [
        Case(name: "conv rank") { _ = try Tensor<Float>(zeros: [2, 5, 5]).conv2d(weight: weight) },
        Case(name: "conv channels") { _ = try image.conv2d(weight: Tensor(zeros: [4, 3, 3, 3])) },
        Case(name: "conv groups do not divide") { _ = try image.conv2d(weight: Tensor(zeros: [3, 1, 3, 3]), options: Conv2DOptions(groups: 2)) },
        Case(name: "conv zero groups") { _ = try image.conv2d(weight: weight, options: Conv2DOptions(groups: 0)) },
        Case(name: "conv kernel larger than image") { _ = try image.conv2d(weight: Tensor(zeros: [1, 2, 9, 9])) },
        Case(name: "conv negative pads") { _ = try image.conv2d(weight: weight, options: Conv2DOptions(pads: [-1, 0, 0, 0])) },
        Case(name: "conv zero stride") { _ = try image.conv2d(weight: weight, options: Conv2DOptions(strides: [0, 1])) },
        Case(name: "conv three pads") { _ = try image.conv2d(weight: weight, options: Conv2DOptions(pads: [1, 1, 1])) },
        Case(name: "conv bias shape") { _ = try image.conv2d(weight: weight, bias: Tensor(zeros: [3])) },
        Case(name: "conv huge output") {
            _ = try Tensor<Float>(zeros: [1, 1, 1, 1]).conv2d(weight: Tensor(zeros: [1 << 20, 1, 1, 1]), options: Conv2DOptions(pads: [1 << 10, 1 << 10, 1 << 10, 1 << 10]))
        },
        Case(name: "pool pads not smaller than kernel") { _ = try image.maxPool2d(Pool2DOptions(kernel: [2, 2], pads: [2, 0, 0, 0])) },
        Case(name: "pool kernel too large") { _ = try image.averagePool2d(Pool2DOptions(kernel: [6, 6])) },
        Case(name: "pool rank") { _ = try Tensor<Float>(zeros: [5, 5]).maxPool2d(Pool2DOptions(kernel: [2, 2])) },
        Case(name: "pool empty kernel") { _ = try image.maxPool2d(Pool2DOptions(kernel: [0, 2])) },
        Case(name: "matmul inner") { _ = try Tensor<Float>(zeros: [2, 3]).matmul(Tensor(zeros: [2, 3])) },
        Case(name: "matmul batch") { _ = try Tensor<Float>(zeros: [2, 2, 3]).matmul(Tensor(zeros: [3, 3, 2])) },
        Case(name: "matmul scalar") { _ = try Tensor<Float>(1).matmul(Tensor(zeros: [1])) },
        Case(name: "batch norm parameters") {
            let c = try Tensor<Float>(zeros: [3])
            _ = try image.batchNormalized(scale: c, bias: c, mean: c, variance: c)
        },
        Case(name: "softmax axis") { _ = try image.softmax(axis: 4) },
        Case(name: "argmax of empty axis") { _ = try Tensor<Float>(zeros: [2, 0]).argmax(axis: 1) },
        Case(name: "max of empty axis") { _ = try Tensor<Float>(zeros: [0, 2]).max(axes: [0]) },
        Case(name: "gather axis") { _ = try image.gathered(indices: Tensor([0]), axis: -5) },
        Case(name: "unsqueeze repeated") { _ = try image.unsqueezed(axes: [0, 0]) },
        Case(name: "flatten axis") { _ = try image.flattened(axis: 5) },
        Case(name: "bytes count") { _ = try Tensor<Float>(shape: [2], littleEndianBytes: [0, 0, 0]) },
        Case(name: "cross-entropy label") {
            _ = try Variable(Tensor(zeros: [2, 3])).softmaxCrossEntropy(labels: Tensor([0, 3]))
        },
        Case(name: "cross-entropy shapes") { _ = try Variable(Tensor(zeros: [2, 3])).softmaxCrossEntropy(labels: Tensor([0])) },
        Case(name: "dense input") {
            var g = SeededRandomGenerator(seed: 1)
            _ = try Dense(inputs: 3, outputs: 2, generator: &g)(Tensor(zeros: [4, 5]))
        },
        Case(name: "dropout rate") { _ = try Dropout(rate: 1) },
    ]

    @Test(arguments: cases)
    func isAnInvalidInputError(_ c: Case) {
        #expect(throws: WardenError.invalidInput("")) { try c.operation() }
    }

    @Test func rawBytesRoundTripForEveryElementType() throws {
        let floats = try Tensor<Float>(shape: [2, 2], scalars: [1, -2.5, .infinity, 0])
        #expect(try Tensor<Float>(shape: [2, 2], littleEndianBytes: floats.littleEndianBytes) == floats)
        #expect(Tensor<Float>([1]).littleEndianBytes == [0, 0, 0x80, 0x3F])
        let longs = Tensor<Int64>([-1, 1 << 40])
        #expect(try Tensor<Int64>(shape: [2], littleEndianBytes: longs.littleEndianBytes.lazy.map { $0 }) == longs)
        #expect(try Tensor<Bool>(shape: [3], littleEndianBytes: [0, 7, 1]).scalars == [false, true, true])
        #expect(Tensor<Bool>([true, false]).littleEndianBytes == [1, 0])
        #expect(floats.transposed().littleEndianBytes == floats.transposed().contiguous().littleEndianBytes)
    }
}
