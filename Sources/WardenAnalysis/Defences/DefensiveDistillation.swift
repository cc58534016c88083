import WardenCore
import WardenModels
import WardenTensor

/// Defensive distillation (Papernot et al. 2016): a teacher is trained with its logits divided by a
/// temperature T, then a student of the same architecture is trained, also at T, on the teacher's
/// soft labels softmax(z/T) for the training rows. The student is exported as it is, so it predicts
/// at T = 1, where its softmax is nearly saturated and its input gradients are tiny: this defeats
/// gradient attacks that use the softmax loss (FGSM, PGD) but is known not to stop
/// Carlini–Wagner, which works on the logits' margins.
public struct DefensiveDistillation: Sendable {
    public let temperature: Float

    /// - Throws: `.invalidInput` unless `1 ≤ T ≤ 1000`.
    public init(temperature: Float) throws {
        guard temperature.isFinite, temperature >= 1, temperature <= 1000 else {
            throw WardenError.invalidInput("--distill takes a temperature T in 1…1000 (e.g. --distill 20), got \(temperature)")
        }
        self.temperature = temperature
    }

    /// Parses the value of `--distill`.
    public init(parsing text: String) throws {
        guard let value = Float(text) else { throw WardenError.invalidInput("--distill takes a number T (e.g. --distill 20), got '\(text)'") }
        try self.init(temperature: value)
    }

    /// The two phases, for progress reports.
    public enum Phase: String, Sendable {
        case teacher, student
    }

    /// Trains the teacher and then the student with `configuration` (its defences apply to both).
    /// - Returns: both trainers; the student is the defended model.
    /// - Throws: as ``Trainer/init(spec:features:classes:featureNames:configuration:)`` and ``Trainer/train(on:progress:)``.
    public func train(
        spec: ModelSpec, on data: LabeledDataset, configuration: Trainer.Configuration, progress: (Phase, Trainer.Progress) -> Void = { _, _ in }
    ) throws -> (teacher: Trainer, student: Trainer) {
        var teacherConfiguration = configuration
        teacherConfiguration.defences.insert(Temperature(temperature: temperature), at: 0)
        let teacher = try Trainer(
            spec: spec, features: data.features.shape[1], classes: data.classes, featureNames: data.featureNames, configuration: teacherConfiguration)
        try teacher.train(on: data) { progress(.teacher, $0) }
        let targets = try softLabels(of: teacher.trainingModel, on: data)
        var studentConfiguration = configuration
        studentConfiguration.defences.insert(SoftTargets(temperature: temperature, targets: targets, classes: data.classes.count), at: 0)
        let student = try Trainer(
            spec: spec, features: data.features.shape[1], classes: data.classes, featureNames: data.featureNames, configuration: studentConfiguration)
        try student.train(on: data) { progress(.student, $0) }
        return (teacher, student)
    }

    /// softmax(z/T) of the model's logits for every row of `data`, `rows × classes`.
    func softLabels(of model: TrainingModel, on data: LabeledDataset, batchSize: Int = 1024) throws -> [Float] {
        var targets: [Float] = []
        targets.reserveCapacity(data.count * model.classes)
        let values = data.features.scalars, width = model.width
        var start = 0
        while start < data.count {
            let end = Swift.min(data.count, start + batchSize)
            let logits = try Tensor(shape: [end - start, model.classes], scalars: model.logits(Array(values[(start * width)..<(end * width)]), rows: end - start))
            targets += try (logits * (1 / temperature)).softmax(axis: 1).scalars
            start = end
        }
        return targets
    }

    /// Trains at a temperature (the teacher).
    struct Temperature: TrainingDefence {
        let temperature: Float
        var description: String { "temperature:\(temperature)" }
    }

    /// Trains at a temperature on fixed soft labels per dataset row (the student).
    struct SoftTargets: TrainingDefence {
        let temperature: Float
        let targets: [Float]
        let classes: Int
        var description: String { "distill:\(temperature)" }

        func prepare(_ batch: inout TrainingBatch, model: TrainingModel, generator: inout SeededRandomGenerator) throws {
            var soft = [Float](); soft.reserveCapacity(batch.count * classes)
            for row in batch.rows { soft += targets[(row * classes)..<((row + 1) * classes)] }
            batch.targets = soft
        }
    }
}
