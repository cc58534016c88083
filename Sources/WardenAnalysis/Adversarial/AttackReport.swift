/// What an attack did to a labelled set: the JSON of `warden attack --json`.
public struct AttackReport: Sendable, Codable, Equatable {
    public var attack: AttackSettings.Kind
    public var norm: AttackSettings.Norm
    /// The budget ε (FGSM, PGD, Square); `nil` for minimum-norm attacks.
    public var epsilon: Double?
    public var n: Int
    public var cleanAccuracy: Double
    /// Accuracy on the adversarial examples (all `n` rows).
    public var robustAccuracy: Double
    /// Share of the correctly classified rows whose prediction the attack changed.
    public var successRate: Double
    /// Medians over the successful rows (`nil` when none succeeded).
    public var medianL2: Double?
    public var medianLinf: Double?
    /// Median model queries per attacked row (black-box attacks only).
    public var queriesMedian: Double?
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case attack, norm, epsilon, n, seconds
        case cleanAccuracy = "clean_accuracy"
        case robustAccuracy = "robust_accuracy"
        case successRate = "success_rate"
        case medianL2 = "median_l2"
        case medianLinf = "median_linf"
        case queriesMedian = "queries_median"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attack, forKey: .attack)
        try container.encode(norm, forKey: .norm)
        try container.encode(epsilon, forKey: .epsilon)
        try container.encode(n, forKey: .n)
        try container.encode(cleanAccuracy, forKey: .cleanAccuracy)
        try container.encode(robustAccuracy, forKey: .robustAccuracy)
        try container.encode(successRate, forKey: .successRate)
        try container.encode(medianL2, forKey: .medianL2)
        try container.encode(medianLinf, forKey: .medianLinf)
        try container.encode(queriesMedian, forKey: .queriesMedian)
        try container.encode(seconds, forKey: .seconds)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

extension Float {
    /// The double with this float's shortest decimal spelling (`0.05`, not `0.05000000074505806`), so
    /// budgets read in JSON as they were written.
    package var decimalDouble: Double { Double("\(self)") ?? Double(self) }
}
