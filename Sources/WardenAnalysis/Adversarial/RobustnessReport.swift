/// The result of a robustness suite (``RobustnessSuite``): the JSON of `warden robustness report
/// --json`, schema `warden.robustness-report/1` (documented in docs/adversarial.md).
///
/// Per model (the first is the one under test, the others the `--compare-model` ones, for example
/// a defended copy): the clean accuracy, one accuracy-vs-ε curve per budget attack (FGSM, PGD,
/// Square; each point an ``AttackReport``), each minimum-norm attack's report with its empirical
/// accuracy-vs-L2-radius curve, and the randomized-smoothing certified accuracy vs radius. Then, per
/// compared model, the change in clean and robust accuracy against the first (the defence's cost
/// and benefit).
public struct RobustnessReport: Sendable, Codable, Equatable {
    public static let schemaName = "warden.robustness-report/1"

    public var schema = Self.schemaName
    /// The data's name as given.
    public var data: String
    public var n: Int
    /// The valid input range `[lo, hi]`.
    public var clip: [Double]
    public var epsilons: [Double]
    /// The L2 radii of the minimum-norm and certification curves.
    public var radii: [Double]
    public var models: [ModelResult]
    public var comparisons: [Comparison]
    public var seconds: Double

    public struct ModelResult: Sendable, Codable, Equatable {
        public var name: String
        public var cleanAccuracy: Double
        /// Accuracy vs ε, one curve per budget attack (L∞).
        public var curves: [Curve]
        /// CW, DeepFool, HopSkipJump: the attack's report and accuracy vs L2 radius.
        public var minimumNorm: [MinimumNorm]
        public var certification: Certification?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case name, curves, certification, seconds
            case cleanAccuracy = "clean_accuracy"
            case minimumNorm = "minimum_norm"
        }
    }

    public struct Curve: Sendable, Codable, Equatable {
        public var attack: AttackSettings.Kind
        public var norm: AttackSettings.Norm
        /// One report per ε, in the order of ``RobustnessReport/epsilons`` (ε = 0 is the clean model).
        public var points: [AttackReport]
    }

    public struct MinimumNorm: Sendable, Codable, Equatable {
        public var report: AttackReport
        /// Accuracy when perturbations up to each radius are allowed: rows classified right whose
        /// attack failed or needed an L2 norm above the radius (an upper bound on the true accuracy).
        public var curve: [RadiusPoint]
    }

    public struct RadiusPoint: Sendable, Codable, Equatable {
        public var radius: Double
        public var accuracy: Double
    }

    public struct Certification: Sendable, Codable, Equatable {
        public var sigma: Double
        public var samples: Int
        public var alpha: Double
        public var abstainRate: Double
        public var smoothedAccuracy: Double
        /// Certified accuracy at each radius (a lower bound, with probability 1 − α per row).
        public var curve: [RadiusPoint]
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case sigma, samples, alpha, curve, seconds
            case abstainRate = "abstain_rate"
            case smoothedAccuracy = "smoothed_accuracy"
        }
    }

    /// A compared model against the first: `model − base` for clean accuracy and each curve point.
    public struct Comparison: Sendable, Codable, Equatable {
        public var model: String
        public var base: String
        public var cleanAccuracyChange: Double
        public var robustAccuracyChange: [Change]

        public struct Change: Sendable, Codable, Equatable {
            public var attack: AttackSettings.Kind
            public var epsilon: Double
            public var change: Double
        }

        enum CodingKeys: String, CodingKey {
            case model, base
            case cleanAccuracyChange = "clean_accuracy_change"
            case robustAccuracyChange = "robust_accuracy_change"
        }
    }

    /// `first` and `other` compared point by point (curves matched by attack, points by ε).
    static func compare(_ other: ModelResult, with first: ModelResult) -> Comparison {
        var changes: [Comparison.Change] = []
        for curve in other.curves {
            guard let base = first.curves.first(where: { $0.attack == curve.attack }) else { continue }
            for (point, basePoint) in zip(curve.points, base.points) {
                changes.append(.init(attack: curve.attack, epsilon: point.epsilon ?? 0, change: point.robustAccuracy - basePoint.robustAccuracy))
            }
        }
        return Comparison(model: other.name, base: first.name, cleanAccuracyChange: other.cleanAccuracy - first.cleanAccuracy, robustAccuracyChange: changes)
    }
}
