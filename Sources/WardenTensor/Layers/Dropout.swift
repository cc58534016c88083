import WardenCore

/// Inverted dropout in training mode (masks drawn from the context's seeded generator); the identity
/// in inference mode.
public final class Dropout: Layer {
    public let rate: Float

    /// - Throws: `.invalidInput` unless `0 <= rate < 1`.
    public init(rate: Float) throws {
        guard rate >= 0, rate < 1 else { throw WardenError.invalidInput("Dropout rate \(rate) must be in 0..<1") }
        self.rate = rate
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Variable, context: ForwardContext) throws -> Variable {
        context.isTraining ? try input.dropout(rate: rate, generator: &context.generator) : input
    }
}
