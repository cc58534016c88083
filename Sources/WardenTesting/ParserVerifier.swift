/// Feeds a parser the hostile variants of a valid input: every truncation, and seeded random bit
/// flips. Each variant must parse to a value or throw; a crash fails the whole test run, which
/// is the point. Returns how many variants parsed and how many threw.
public enum ParserVerifier {
    public struct Outcome: Sendable, Equatable {
        public var parsed = 0
        public var rejected = 0
    }

    /// - Parameters:
    ///   - input: a valid input.
    ///   - flips: how many single-bit-flip variants to try.
    ///   - maxTruncations: truncations tried, evenly spread when the input is longer.
    ///   - parse: the parser; throwing means the input was rejected cleanly.
    @discardableResult
    public static func verify(
        _ input: [UInt8], flips: Int = 200, maxTruncations: Int = 2_000, seed: UInt64 = 7,
        _ parse: ([UInt8]) throws -> Void
    ) -> Outcome {
        var outcome = Outcome()
        func attempt(_ bytes: [UInt8]) {
            do {
                try parse(bytes)
                outcome.parsed += 1
            } catch {
                outcome.rejected += 1
            }
        }
        attempt(input)
        let step = max(1, input.count / maxTruncations)
        var length = 0
        while length < input.count {
            attempt(Array(input[0..<length]))
            length += step
        }
        var rng = SeededGenerator(seed: seed)
        if !input.isEmpty {
            for _ in 0..<flips {
                var copy = input
                let bit = Int(rng.next() % UInt64(input.count * 8))
                copy[bit / 8] ^= UInt8(1 << (bit % 8))
                attempt(copy)
            }
        }
        return outcome
    }
}
