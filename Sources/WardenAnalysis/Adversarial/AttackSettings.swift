import WardenCore

/// Which attack to run and its parameters. Values default to the usual choices (Madry et al. for PGD,
/// Carlini–Wagner's Adam with a binary search over the constant, DeepFool's 2 % overshoot,
/// HopSkipJump's and Square's published schedules); ``validate()`` rejects nonsense with a message.
public struct AttackSettings: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case fgsm, pgd, cw, deepfool, hopskipjump, square

        /// Whether the attack needs input gradients.
        public var isWhiteBox: Bool { self != .hopskipjump && self != .square }
        /// Whether the attack looks for the smallest perturbation rather than the worst one within ε.
        public var isMinimumNorm: Bool { self == .cw || self == .deepfool || self == .hopskipjump }
    }

    public enum Norm: String, Sendable, CaseIterable, Codable {
        case inf, l2 = "2"
    }

    public var kind: Kind
    /// The perturbation budget (FGSM, PGD, Square).
    public var epsilon: Float = 0.1
    public var norm: Norm = .inf
    /// Iterations: PGD steps, C&W optimiser steps per constant, DeepFool and HopSkipJump iterations,
    /// Square queries. `nil`: the attack's default.
    public var steps: Int?
    /// PGD step size (default 2.5 ε / steps).
    public var stepSize: Float?
    public var randomStart = false
    /// PGD runs (each from a new random start when `randomStart`); a row keeps the first run that fools the model.
    public var restarts = 1
    /// The valid input range every adversarial example is clipped to.
    public var clipLower: Float = 0
    public var clipUpper: Float = 1
    public var seed: UInt64 = 0
    /// C&W: confidence κ, Adam learning rate, binary-search steps and initial constant.
    public var confidence: Float = 0
    public var learningRate: Float = 0.01
    public var binarySearchSteps = 5
    public var initialConstant: Float = 0.01
    /// DeepFool overshoot.
    public var overshoot: Float = 0.02
    /// HopSkipJump: initial and maximum gradient-estimation queries per iteration.
    public var initialEvaluations = 100
    public var maximumEvaluations = 1000
    /// Square: initial fraction of pixels changed.
    public var squareFraction: Float = 0.8

    /// Settings with the defaults; the norm is L∞ for FGSM, PGD and Square, L2 for the others.
    public init(kind: Kind) {
        self.kind = kind
        norm = kind.isMinimumNorm ? .l2 : .inf
    }

    /// The number of iterations this attack runs.
    public var effectiveSteps: Int {
        if let steps { return steps }
        switch kind {
        case .fgsm: return 1
        case .pgd: return 40
        case .cw: return 100
        case .deepfool: return 50
        case .hopskipjump: return 20
        case .square: return 1000
        }
    }

    public var effectiveStepSize: Float {
        if kind == .fgsm { return epsilon }
        return stepSize ?? 2.5 * epsilon / Float(effectiveSteps)
    }

    /// - Throws: `.invalidInput` naming the bad setting and its valid range.
    public func validate() throws {
        guard clipLower.isFinite, clipUpper.isFinite, clipLower < clipUpper else {
            throw WardenError.invalidInput("The clip range must be two finite numbers LO < HI, got \(clipLower),\(clipUpper)")
        }
        if !kind.isMinimumNorm {
            guard epsilon.isFinite, epsilon > 0 else { throw WardenError.invalidInput("ε must be a positive number, got \(epsilon)") }
            let span = clipUpper - clipLower
            let largest = norm == .inf ? span : span * 1e4
            guard epsilon <= largest else {
                throw WardenError.invalidInput("ε \(epsilon) is larger than the clip range \(clipLower)…\(clipUpper) allows; every input would be reachable")
            }
        }
        if let steps { guard steps > 0, steps <= 1_000_000 else { throw WardenError.invalidInput("Steps must be in 1…1000000, got \(steps)") } }
        if let stepSize { guard stepSize.isFinite, stepSize > 0 else { throw WardenError.invalidInput("The step size must be a positive number, got \(stepSize)") } }
        guard restarts >= 1, restarts <= 1000 else { throw WardenError.invalidInput("Restarts must be in 1…1000, got \(restarts)") }
        guard confidence.isFinite, confidence >= 0 else { throw WardenError.invalidInput("The C&W confidence must be ≥ 0, got \(confidence)") }
        guard learningRate.isFinite, learningRate > 0 else { throw WardenError.invalidInput("The learning rate must be positive, got \(learningRate)") }
        guard binarySearchSteps >= 1, binarySearchSteps <= 100 else { throw WardenError.invalidInput("Binary-search steps must be in 1…100, got \(binarySearchSteps)") }
        guard initialConstant.isFinite, initialConstant > 0 else { throw WardenError.invalidInput("The C&W initial constant must be positive, got \(initialConstant)") }
        guard overshoot.isFinite, overshoot >= 0, overshoot < 1 else { throw WardenError.invalidInput("The DeepFool overshoot must be in 0..<1, got \(overshoot)") }
        guard initialEvaluations >= 1, maximumEvaluations >= initialEvaluations, maximumEvaluations <= 100_000 else {
            throw WardenError.invalidInput("HopSkipJump evaluations must satisfy 1 ≤ initial ≤ maximum ≤ 100000, got \(initialEvaluations), \(maximumEvaluations)")
        }
        guard squareFraction > 0, squareFraction <= 1 else { throw WardenError.invalidInput("The Square fraction must be in (0, 1], got \(squareFraction)") }
        if kind == .square, norm != .inf { throw WardenError.unsupported("The Square attack runs with --norm inf only") }
        if kind == .hopskipjump, norm != .l2 { throw WardenError.unsupported("HopSkipJump runs with --norm 2 only") }
        if kind == .cw || kind == .deepfool, norm != .l2 { throw WardenError.unsupported("\(kind == .cw ? "Carlini–Wagner" : "DeepFool") is an L2 attack; use --norm 2") }
    }
}
