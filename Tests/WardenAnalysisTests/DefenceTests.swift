import Foundation
import Testing
import WardenAnalysis
import WardenCore
import WardenModels
import WardenTensor
import WardenTesting

/// The trainer's defence hook and the defences: losses, schedules, parsing, reproducibility.
struct DefenceTests {
    static func dataset(_ sample: PoisonPlanter.Sample, source: String = "planted") throws -> LabeledDataset {
        let classes = ClassLabels(names: (0..<((sample.labels.max() ?? 0) + 1)).map(String.init))
        return try LabeledDataset(
            features: try Tensor(shape: [sample.rows, sample.width], scalars: sample.features), labels: sample.labels.map(Int64.init),
            classes: classes, featureNames: (0..<sample.width).map { "f\($0)" }, source: source)
    }

    static func train(_ data: LabeledDataset, spec: String = "mlp:16", epochs: Int = 4, seed: UInt64 = 5, defences: [any TrainingDefence] = []) throws -> Trainer {
        let trainer = try Trainer(
            spec: try ModelSpec(parsing: spec), features: data.features.shape[1], classes: data.classes, featureNames: data.featureNames,
            configuration: Trainer.Configuration(epochs: epochs, learningRate: 0.01, batchSize: 16, seed: seed, defences: defences))
        try trainer.train(on: data)
        return trainer
    }

    /// The text of the error `body` throws ("" when it does not throw).
    static func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// A defence that changes nothing: the hook path must then be the plain path, bit for bit.
    struct Unchanged: TrainingDefence {
        var description: String { "unchanged" }
    }

    @Test func theHookPathWithANoOpDefenceIsThePlainPathBitForBit() throws {
        let data = try Self.dataset(PoisonPlanter(classes: 3, width: 6).clean(rows: 96, seed: 1))
        let plain = try Self.train(data, spec: "mlp:8,bn,dropout0.2")
        let hooked = try Self.train(data, spec: "mlp:8,bn,dropout0.2", defences: [Unchanged()])
        #expect(plain.history.map(\.loss) == hooked.history.map(\.loss))
        #expect(zip(plain.model.parameters, hooked.model.parameters).allSatisfy { $0.value.scalars == $1.value.scalars })
    }

    @Test func weightedSoftCrossEntropyMatchesFiniteDifferences() throws {
        let logits = try Tensor<Float>(shape: [3, 4], scalars: [0.5, -1, 2, 0.1, 1, 1, -0.5, 0, -2, 0.3, 0.7, 1.5])
        let targets = try Tensor<Float>(shape: [3, 4], scalars: [0.1, 0.2, 0.6, 0.1, 0, 1, 0, 0, 0.25, 0.25, 0.25, 0.25])
        let weights: [Float] = [1, 0, 2]
        let temperature: Float = 2
        func loss(_ x: Tensor<Float>) throws -> Float {
            try Variable(x).softmaxCrossEntropy(targets: targets, weights: weights, temperature: temperature).value.scalar!
        }
        let input = Variable(logits, requiresGradient: true)
        let analytic = try input.softmaxCrossEntropy(targets: targets, weights: weights, temperature: temperature).gradient(withRespectTo: input).scalars
        let rows = try logits.softmaxCrossEntropyPerRow(targets: targets, temperature: temperature)
        #expect(abs(try loss(logits) - (rows[0] + 2 * rows[2]) / 3) < 1e-6)
        for i in 0..<12 {
            var up = logits.scalars, down = logits.scalars
            up[i] += 1e-2
            down[i] -= 1e-2
            let numeric = (try loss(try Tensor(shape: [3, 4], scalars: up)) - loss(try Tensor(shape: [3, 4], scalars: down))) / 2e-2
            #expect(abs(numeric - analytic[i]) < 2e-3, "logit \(i): \(numeric) vs \(analytic[i])")
        }
        // The dropped row (weight 0) gets no gradient.
        #expect(analytic[4..<8].allSatisfy { $0 == 0 })
    }

    @Test func trimmedLossDropsTheHighestLossesOnItsSchedule() throws {
        let trimmed = try TrimmedLoss(fraction: 0.25)
        #expect(trimmed.rate(epoch: 1, epochs: 20) == 0.05)
        #expect(trimmed.rate(epoch: 5, epochs: 20) == 0.25)
        #expect(trimmed.rate(epoch: 9, epochs: 20) == 0.25)
        #expect(trimmed.rate(epoch: 1, epochs: 1) == 0.25)
        let batch = TrainingBatch(inputs: [Float](repeating: 0, count: 8), labels: Array(repeating: 0, count: 8), rows: Array(0..<8), width: 1, classes: 2, epoch: 10, epochs: 10)
        // Ties go to the earlier example.
        #expect(trimmed.weights(forLosses: [0.1, 3, 0.2, 0.4, 3, 0.3, 0.1, 0.2], batch: batch) == [1, 0, 1, 1, 0, 1, 1, 1])
        #expect(trimmed.weights(forLosses: [1, 2], batch: TrainingBatch(inputs: [0, 0], labels: [0, 0], rows: [0, 1], width: 1, classes: 2, epoch: 1, epochs: 10)) == nil)
    }

    @Test func defendedTrainingIsBitForBitReproducible() throws {
        let data = try Self.dataset(PoisonPlanter(classes: 3, width: 6).clean(rows: 64, seed: 2))
        // Features in [0, 1] for the adversarial defence.
        let low = data.features.scalars.min()!, high = data.features.scalars.max()!
        let scaled = try LabeledDataset(
            features: try Tensor(shape: data.features.shape, scalars: data.features.scalars.map { ($0 - low) / (high - low) }), labels: data.labels,
            classes: data.classes, featureNames: data.featureNames, source: "scaled")
        func run(seed: UInt64, threads: Int) throws -> [UInt8] {
            try TensorRuntime.withThreads(threads) {
                let defences: [any TrainingDefence] = [
                    try AdversarialTraining(parsing: "pgd:eps=0.05,steps=3,ratio=0.5"), try GaussianNoiseAugmentation(sigma: 0.05),
                    try TrimmedLoss(fraction: 0.1),
                ]
                return try Self.train(scaled, epochs: 2, seed: seed, defences: defences).exportONNX(label: "label")
            }
        }
        let first = try run(seed: 3, threads: 1)
        #expect(try run(seed: 3, threads: 2) == first)
        #expect(try run(seed: 4, threads: 1) != first)
        let model = try ONNXModel(bytes: first, source: "defended.onnx")
        #expect(model.metadata(ModelMetadataKey.training)?.contains(#""defences":["pgd:eps=0.05,steps=3,ratio=0.5","noise:0.05","trimmed:0.1"]"#) == true)
    }

    @Test func distillationTrainsAStudentOnTheTeachersSoftLabels() throws {
        let data = try Self.dataset(PoisonPlanter(classes: 3, width: 6).clean(rows: 120, seed: 3))
        let distillation = try DefensiveDistillation(temperature: 10)
        var phases: [DefensiveDistillation.Phase] = []
        let (teacher, student) = try distillation.train(
            spec: try ModelSpec(parsing: "mlp:16"), on: data, configuration: Trainer.Configuration(epochs: 6, learningRate: 0.01, batchSize: 16, seed: 1)
        ) { phase, progress in if progress.epochFinished { phases.append(phase) } }
        #expect(phases == Array(repeating: .teacher, count: 6) + Array(repeating: .student, count: 6))
        let test = try Self.dataset(PoisonPlanter(classes: 3, width: 6).clean(rows: 90, seed: 3))
        #expect(try teacher.accuracy(on: test) > 0.9)
        #expect(try student.accuracy(on: test) > 0.9)
        #expect(student.configuration.defences.map(\.description) == ["distill:10.0"])
        #expect(teacher.configuration.defences.map(\.description) == ["temperature:10.0"])
    }

    struct BadValue: Sendable, CustomTestStringConvertible {
        let option: String
        let value: String
        let expected: String
        var testDescription: String { "\(option) \(value)" }
    }

    @Test(arguments: [
        BadValue(option: "robust", value: "trimmed:1.5", expected: "(0, 1)"), BadValue(option: "robust", value: "trimmed:0", expected: "(0, 1)"),
        BadValue(option: "robust", value: "trimmed:nan", expected: "(0, 1)"), BadValue(option: "robust", value: "trimmed:", expected: "trimmed:F"),
        BadValue(option: "robust", value: "mean:0.1", expected: "trimmed:F"), BadValue(option: "robust", value: "trimmed:-0.1", expected: "(0, 1)"),
        BadValue(option: "adversarial", value: "pgd:eps=-1", expected: "ε must be a positive number"),
        BadValue(option: "adversarial", value: "pgd:eps=2", expected: "larger than the clip range"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,steps=0", expected: "Steps must be in"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,steps=5000", expected: "1…1000"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,ratio=0", expected: "ratio must be in (0, 1]"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,ratio=1.5", expected: "ratio must be in (0, 1]"),
        BadValue(option: "adversarial", value: "pgd:eps=abc", expected: "eps must be a number"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,steps=x", expected: "steps must be a number"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,norm=1", expected: "norm must be inf or 2"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,eps=0.2", expected: "not a new key=value"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,,", expected: "not a new key=value"),
        BadValue(option: "adversarial", value: "pgd:eps=0.1,foo=1", expected: "unknown key 'foo'"),
        BadValue(option: "adversarial", value: "pgd:steps=3", expected: "needs eps=E"), BadValue(option: "adversarial", value: "fgsm:eps=0.1", expected: "pgd:eps=E"),
        BadValue(option: "noise", value: "nan", expected: "(0, 1000]"), BadValue(option: "noise", value: "-1", expected: "(0, 1000]"),
        BadValue(option: "noise", value: "0", expected: "(0, 1000]"), BadValue(option: "noise", value: "inf", expected: "(0, 1000]"),
        BadValue(option: "noise", value: "x", expected: "takes a number"),
        BadValue(option: "distill", value: "0.5", expected: "1…1000"), BadValue(option: "distill", value: "nan", expected: "1…1000"),
        BadValue(option: "distill", value: "5000", expected: "1…1000"), BadValue(option: "distill", value: "T", expected: "takes a number"),
    ])
    func refusesMalformedValues(_ bad: BadValue) {
        do {
            switch bad.option {
            case "robust": _ = try TrimmedLoss(parsing: bad.value)
            case "adversarial": _ = try AdversarialTraining(parsing: bad.value)
            case "noise": _ = try GaussianNoiseAugmentation(parsing: bad.value)
            default: _ = try DefensiveDistillation(parsing: bad.value)
            }
            Issue.record("'\(bad.value)' parsed")
        } catch {
            #expect("\(error)".contains(bad.expected), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func parsesGoodValues() throws {
        let adversarial = try AdversarialTraining(parsing: "pgd:eps=0.1,steps=7,ratio=0.25,norm=2", clipLower: -1, clipUpper: 1)
        #expect(adversarial.attack.epsilon == 0.1 && adversarial.attack.effectiveSteps == 7 && adversarial.ratio == 0.25 && adversarial.attack.norm == .l2)
        #expect(adversarial.attack.randomStart && adversarial.attack.clipLower == -1)
        #expect(try AdversarialTraining(parsing: "pgd:eps=0.1").description == "pgd:eps=0.1,steps=10,ratio=0.5")
        #expect(try TrimmedLoss(parsing: "trimmed:0.1").fraction == 0.1)
        #expect(try GaussianNoiseAugmentation(parsing: "0.25").sigma == 0.25)
        #expect(try DefensiveDistillation(parsing: "20").temperature == 20)
    }

    @Test func adversarialTrainingRefusesDataOutsideTheClipRange() throws {
        let data = try Self.dataset(PoisonPlanter(classes: 2, width: 3).clean(rows: 10, seed: 1), source: "wide.csv")
        let error = Self.failure { try AdversarialTraining(parsing: "pgd:eps=0.1").checkRange(of: data) }
        #expect(error.contains("'wide.csv' row ") && error.contains("--clip"), "\(error)")
    }

    @Test func readsFlaggedRowsAndNamesTheLineOfEveryBadOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = directory.path + "/flagged.txt"
        try FileIO.writeAtomically("3\r\n0\n\n 7 \n", to: good)
        #expect(try FlaggedRows.read(good, rowCount: 8) == [0, 3, 7])
        let data = try Self.dataset(PoisonPlanter(classes: 2, width: 2).clean(rows: 8, seed: 1))
        let kept = try FlaggedRows.dropping([0, 3, 7], from: data)
        #expect(kept.count == 5 && kept.labels == [1, 0, 0, 1, 0] && kept.classes.names == data.classes.names)
        #expect(Array(kept.features.scalars[0..<2]) == Array(data.features.scalars[2..<4]))
        #expect(throws: WardenError.self) { _ = try FlaggedRows.dropping(Array(0..<8), from: data) }
        for (text, expected) in [
            ("1\n8\n", "line 2: row 8 is outside the data's 8 rows"), ("1\n2\n1\n", "line 3: row 1 is listed twice (first on line 1)"),
            ("1\nx\n", "line 2: 'x' is not a 0-based row index"), ("-1\n", "line 1: '-1' is not"), ("1.5\n", "line 1: '1.5' is not"),
            ("4 5\n", "line 1: '4 5' is not"), ("99999999999999999999999\n", "line 1:"),
        ] {
            let path = directory.path + "/bad.txt"
            try FileIO.writeAtomically(text, to: path)
            let error = Self.failure { _ = try FlaggedRows.read(path, rowCount: 8) }
            #expect(error.contains("'\(path)' \(expected)"), "\(error)")
        }
        #expect(throws: WardenError.self) { _ = try FlaggedRows.read(directory.path + "/missing.txt", rowCount: 8) }
    }
}
