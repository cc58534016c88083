import Foundation
import WardenCore
import WardenTensor

/// Randomized-smoothing certificates over a labelled set: the JSON of `warden certify --json`.
public struct CertificationReport: Sendable, Codable, Equatable {
    /// Share of rows whose smoothed prediction is right and certified at each radius (keys as written).
    public var certifiedAccuracy: [String: Double]
    public var abstainRate: Double
    /// Share of rows whose smoothed prediction (without a radius) is right.
    public var smoothedAccuracy: Double
    public var n: Int
    public var sigma: Double
    public var samples: Int
    public var alpha: Double
    public var seconds: Double
    /// Per row: the certificate and whether it is right.
    public var certificates: [Certificate]

    public struct Certificate: Sendable, Codable, Equatable {
        public var label: Int
        public var prediction: Int?
        public var radius: Double
        public var correct: Bool
    }

    enum CodingKeys: String, CodingKey {
        case n, sigma, samples, alpha, seconds, certificates
        case certifiedAccuracy = "certified_accuracy"
        case abstainRate = "abstain_rate"
        case smoothedAccuracy = "smoothed_accuracy"
    }

    /// Certifies every row of `features` (labels as class indices) and measures certified accuracy at
    /// `radii` (each given as text, the key it is reported under).
    /// - Throws: `.invalidInput` for data that does not fit the model, labels out of range, NaN, a
    ///   negative or non-numeric radius.
    public static func certify(
        _ smoothing: RandomizedSmoothing, model: some QueryableClassifier, features: [Float], labels: [Int], radii: [String],
        source: String = "the data", progress: (Int) -> Void = { _ in }
    ) throws -> CertificationReport {
        let width = model.width
        guard features.count == labels.count * width, !labels.isEmpty else {
            throw WardenError.invalidInput("\(source) has \(labels.isEmpty ? 0 : features.count / labels.count) values per row for \(labels.count) rows; the model takes \(width)")
        }
        let thresholds = try radii.map { text -> Double in
            guard let value = Double(text), value.isFinite, value >= 0 else { throw WardenError.invalidInput("A radius must be a number ≥ 0, got '\(text)'") }
            return value
        }
        for (row, label) in labels.enumerated() where label < 0 || label >= model.classCount {
            throw WardenError.invalidInput("\(source) row \(row + 1): label \(label) is out of range; the model has \(model.classCount) classes")
        }
        if let bad = features.firstIndex(where: { !$0.isFinite }) {
            throw WardenError.invalidInput("\(source) row \(bad / width + 1): value \(features[bad]) in column \(bad % width + 1); certification needs finite inputs")
        }
        let started = ContinuousClock.now
        var generator = SeededRandomGenerator(seed: smoothing.seed)
        var certificates: [Certificate] = []
        for (row, label) in labels.enumerated() {
            let result = try smoothing.certify(features[(row * width)..<((row + 1) * width)], model: model, generator: &generator)
            certificates.append(Certificate(label: label, prediction: result.prediction, radius: result.radius, correct: result.prediction == label))
            progress(row + 1)
        }
        let total = Double(labels.count)
        var accuracy: [String: Double] = [:]
        for (text, radius) in zip(radii, thresholds) {
            accuracy[text] = Double(certificates.filter { $0.correct && $0.radius >= radius }.count) / total
        }
        return CertificationReport(
            certifiedAccuracy: accuracy, abstainRate: Double(certificates.filter { $0.prediction == nil }.count) / total,
            smoothedAccuracy: Double(certificates.filter(\.correct).count) / total, n: labels.count, sigma: smoothing.sigma,
            samples: smoothing.n, alpha: smoothing.alpha, seconds: (ContinuousClock.now - started).seconds, certificates: certificates)
    }
}
