import Foundation
import Testing
import WardenCore

@testable import WardenTensor

struct TrainingTests {
    /// Two interleaved half-moons (not linearly separable), seeded.
    static func moons(count: Int, seed: UInt64) throws -> (Tensor<Float>, Tensor<Int64>) {
        var generator = SeededRandomGenerator(seed: seed)
        var points: [Float] = []
        var labels: [Int64] = []
        for i in 0..<count {
            let label = i % 2
            let angle = Float.random(in: 0..<Float.pi, using: &generator)
            let noise = (Float.random(in: -0.1..<0.1, using: &generator), Float.random(in: -0.1..<0.1, using: &generator))
            let x = label == 0 ? cosf(angle) : 1 - cosf(angle)
            let y = label == 0 ? sinf(angle) : 0.5 - sinf(angle)
            points += [x + noise.0, y + noise.1]
            labels.append(Int64(label))
        }
        return (try Tensor(shape: [count, 2], scalars: points), Tensor(labels))
    }

    static func mlp(seed: UInt64) throws -> Sequential {
        var generator = SeededRandomGenerator(seed: seed)
        return Sequential([
            try Dense(inputs: 2, outputs: 32, name: "d0", generator: &generator), ReLU(),
            try Dropout(rate: 0.1),
            try Dense(inputs: 32, outputs: 16, name: "d1", generator: &generator), Tanh(),
            try Dense(inputs: 16, outputs: 2, name: "d2", generator: &generator),
        ])
    }

    /// Trains with mini-batches and returns the final parameters and training accuracy.
    static func train(_ model: any Layer, optimizer: any Optimizer, data: Tensor<Float>, labels: Tensor<Int64>, epochs: Int, batch: Int, seed: UInt64) throws -> ([[Float]], Float) {
        let n = data.shape[0]
        for epoch in 0..<epochs {
            var start = 0
            while start < n {
                let end = Swift.min(n, start + batch)
                let context = ForwardContext(training: true, seed: seed &+ UInt64(epoch * 1000 + start))
                let x = try data.sliced(axis: 0, start: start, end: end)
                let y = try labels.sliced(axis: 0, start: start, end: end)
                let loss = try model.forward(Variable(x), context: context).softmaxCrossEntropy(labels: y)
                try optimizer.update(model.parameters, gradients: context.gradients(of: loss, for: model.parameters))
                start = end
            }
        }
        let predictions = try model(data).argmax(axis: 1)
        let correct = zip(predictions.scalars, labels.scalars).filter { $0 == $1 }.count
        return (model.parameters.map(\.value.scalars), Float(correct) / Float(n))
    }

    @Test func anMLPLearnsTheMoonsWithAdamAndSGD() throws {
        let (data, labels) = try Self.moons(count: 400, seed: 1)
        let (_, adamAccuracy) = try Self.train(
            Self.mlp(seed: 2), optimizer: Adam(learningRate: 0.01), data: data, labels: labels, epochs: 30, batch: 32, seed: 3)
        #expect(adamAccuracy >= 0.97)
        let (_, sgdAccuracy) = try Self.train(
            Self.mlp(seed: 2), optimizer: SGD(learningRate: 0.1, momentum: 0.9), data: data, labels: labels, epochs: 30, batch: 32, seed: 3)
        #expect(sgdAccuracy >= 0.97)
    }

    @Test func trainingIsBitForBitReproducible() throws {
        let (data, labels) = try Self.moons(count: 96, seed: 4)
        func run(seed: UInt64, threads: Int) throws -> [[Float]] {
            try TensorRuntime.withThreads(threads) {
                try Self.train(Self.mlp(seed: seed), optimizer: Adam(learningRate: 0.01), data: data, labels: labels, epochs: 3, batch: 16, seed: seed).0
            }
        }
        let first = try run(seed: 5, threads: 2)
        #expect(try run(seed: 5, threads: 2) == first)
        #expect(try run(seed: 5, threads: 1) == first)
        #expect(try run(seed: 6, threads: 2) != first)
    }

    @Test func aSmallCNNTrainsAndStaysReproducible() throws {
        // 4×4 "images": label 1 when the bright bar is vertical, 0 when horizontal.
        var generator = SeededRandomGenerator(seed: 7)
        var pixels: [Float] = []
        var labels: [Int64] = []
        for i in 0..<64 {
            let vertical = i % 2 == 1
            let line = Int.random(in: 0..<4, using: &generator)
            for r in 0..<4 {
                for c in 0..<4 {
                    let on = vertical ? c == line : r == line
                    pixels.append((on ? 1 : 0) + Float.random(in: -0.2..<0.2, using: &generator))
                }
            }
            labels.append(vertical ? 1 : 0)
        }
        let data = try Tensor(shape: [64, 1, 4, 4], scalars: pixels)
        let targets = Tensor(labels)
        func model(seed: UInt64) throws -> Sequential {
            var g = SeededRandomGenerator(seed: seed)
            return Sequential([
                try Conv2D(inputChannels: 1, outputChannels: 4, kernel: [3, 3], options: Conv2DOptions(pads: [1, 1, 1, 1]), generator: &g),
                try BatchNorm(channels: 4), ReLU(), MaxPool2D(Pool2DOptions(kernel: [2, 2], strides: [2, 2])),
                Flatten(), try Dropout(rate: 0.1), try Dense(inputs: 16, outputs: 2, generator: &g),
            ])
        }
        let (weights, accuracy) = try Self.train(model(seed: 8), optimizer: Adam(learningRate: 0.02), data: data, labels: targets, epochs: 15, batch: 16, seed: 9)
        #expect(accuracy >= 0.95)
        let (again, _) = try Self.train(model(seed: 8), optimizer: Adam(learningRate: 0.02), data: data, labels: targets, epochs: 15, batch: 16, seed: 9)
        #expect(again == weights)
    }

    @Test func batchNormKeepsRunningStatisticsLikePyTorch() throws {
        let layer = try BatchNorm(channels: 2, momentum: 0.1)
        let x = try Tensor<Float>(shape: [4, 2], scalars: [1, 10, 2, 20, 3, 30, 4, 40])
        _ = try layer.forward(Variable(x), context: ForwardContext(training: true))
        // mean [2.5, 25]; unbiased variance [1.6667, 166.67]
        #expect(Swift.abs(layer.runningMean.scalars[0] - 0.25) < 1e-6 && Swift.abs(layer.runningMean.scalars[1] - 2.5) < 1e-5)
        #expect(Swift.abs(layer.runningVariance.scalars[0] - (0.9 + 0.1 * 5 / 3)) < 1e-5)
        // Inference uses the running statistics and leaves them alone.
        let before = layer.runningMean
        _ = try layer(x)
        #expect(layer.runningMean == before)
    }

    @Test func optimisersFollowTheirUpdateRules() throws {
        // One parameter p = 1 with gradient 2, twice.
        let p = Parameter(Tensor<Float>([1]), name: "p")
        let sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        try sgd.update([p], gradients: [Tensor([2])])
        try sgd.update([p], gradients: [Tensor([2])])
        // v1 = 2, p1 = 0.8; v2 = 3.8, p2 = 0.42
        #expect(Swift.abs(p.value.scalars[0] - 0.42) < 1e-6)
        let q = Parameter(Tensor<Float>([1]), name: "q")
        let adam = try Adam(learningRate: 0.1)
        try adam.update([q], gradients: [Tensor([2])])
        // The first Adam step moves by lr·sign(g) (bias-corrected m̂/√v̂ = 1).
        #expect(Swift.abs(q.value.scalars[0] - 0.9) < 1e-6)
        #expect(throws: WardenError.self) { try adam.update([q], gradients: [Tensor([1, 2])]) }
        #expect(throws: WardenError.self) { try adam.update([q], gradients: []) }
        #expect(throws: WardenError.self) { try SGD(learningRate: -1) }
    }

    @Test func inputGradientsWithoutParameterGradients() throws {
        // What an adversarial attack needs: ∂loss/∂input with the weights held fixed.
        let model = try Self.mlp(seed: 10)
        let (data, labels) = try Self.moons(count: 8, seed: 11)
        let context = ForwardContext(training: false)
        let input = Variable(data, requiresGradient: true)
        let loss = try model.forward(input, context: context).softmaxCrossEntropy(labels: labels)
        let gradient = try loss.gradient(withRespectTo: input)
        #expect(gradient.shape == [8, 2])
        #expect(gradient.scalars.contains { $0 != 0 })
        #expect(!context.variable(for: model.parameters[0]).requiresGradient)
        // A step along the gradient's sign raises the loss (FGSM).
        let adversarial = try data + gradient.sign() * 0.1
        let after = try model.forward(Variable(adversarial), context: ForwardContext(training: false)).softmaxCrossEntropy(labels: labels)
        #expect(after.value.scalar! > loss.value.scalar!)
    }
}
