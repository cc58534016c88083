import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenGuard

/// The out-of-distribution count and class-balance rules of ``ExtractionDetector`` on seeded
/// synthetic streams, with the verdicts and class shares of a ``MahalanobisScorer`` fitted on
/// reference rows (as the gateway passes them):
/// random-input and Jacobian-augmentation attackers are flagged within a few dozen queries, benign
/// clients drawing from the reference distribution never; the Chernoff bound against the exact
/// binomial tail; W recomputed only every `testEvery` distances.
struct ExtractionReferenceTests {
    typealias Base = ExtractionDetectorTests
    static let border = 4

    /// A natural row: a noisy class centre, then `border` near-constant features (the blank
    /// border pixels of an image).
    static func natural(_ random: inout SeededGenerator) -> (row: [Float], label: Int) {
        let label = Int.random(in: 0..<Base.centres.count, using: &random)
        let row = Base.centres[label].map { $0 + 1.5 * Base.gaussian(&random) } + (0..<border).map { _ in 0.01 * Base.gaussian(&random) }
        return (row, label)
    }

    static func scores(_ x: [Float]) -> [Float] { Base.scores(Array(x.prefix(Base.dimension))) }

    static func scorer() throws -> MahalanobisScorer {
        var random = SeededGenerator(seed: 100)
        var features: [Float] = [], classes: [Int] = []
        for _ in 0..<1000 {
            let (row, label) = natural(&random)
            features += row
            classes.append(label)
        }
        return try MahalanobisScorer(features: features, width: Base.dimension + border, classes: classes, quantile: 0.995)
    }

    /// Feeds `queries` to a fresh detector; the 1-based index of the query that flagged, and its reasons.
    static func firstFlag(_ queries: [[Float]], _ scorer: MahalanobisScorer, policy: ExtractionDetector.Policy = .init()) -> (Int, [String])? {
        let detector = ExtractionDetector(policy: policy)
        for (i, x) in queries.enumerated() {
            let observation = detector.observe(
                "c", features: x, scores: scores(x), outOfDistribution: scorer.score(x) > scorer.threshold, classPrior: scorer.classShares)
            if observation.newlyFlagged { return (i + 1, observation.reasons) }
        }
        return nil
    }

    @Test func benignClientsAreNotFlagged() throws {
        let scorer = try Self.scorer()
        for seed in UInt64(1)...5 {
            var random = SeededGenerator(seed: seed)
            let queries = (0..<1000).map { _ in Self.natural(&random).row }
            let flag = Self.firstFlag(queries, scorer)
            #expect(flag == nil, "seed \(seed): benign client flagged at \(String(describing: flag))")
        }
    }

    @Test func randomInputAttackerIsFlaggedByTheReference() throws {
        let scorer = try Self.scorer()
        var random = SeededGenerator(seed: 11)
        // Tramèr-style synthetic queries: uniform over the box the natural rows live in.
        let queries = (0..<200).map { _ in (0..<(Base.dimension + Self.border)).map { _ in Float.random(in: -4...14, using: &random) } }
        let (at, reasons) = try #require(Self.firstFlag(queries, scorer), "the random-input attacker was never flagged")
        #expect(reasons.contains("out_of_distribution"))
        #expect(at == ExtractionDetector.Policy().minReferenced, "flagged at \(at)")
    }

    @Test func jacobianAttackerIsFlaggedByTheReference() throws {
        let scorer = try Self.scorer()
        var random = SeededGenerator(seed: 12)
        // Papernot-style: 10 natural seeds, then rounds of x + λ·sign(gradient) (here a random sign
        // vector per point) on every earlier point, λ = 0.1.
        var queries = (0..<10).map { _ in Self.natural(&random).row }
        while queries.count < 300 {
            queries += queries.map { x in x.map { $0 + (Bool.random(using: &random) ? 0.1 : -0.1) } }
        }
        let (at, reasons) = try #require(Self.firstFlag(Array(queries.prefix(300)), scorer), "the Jacobian attacker was never flagged")
        // Its 10 seeds cover few classes, so the class-balance test fires first (~80 queries; the
        // out-of-distribution share needs ~150 on this stream, docs/BENCHMARKS.md).
        #expect(!Set(reasons).isDisjoint(with: ["out_of_distribution", "class_balance"]), "\(reasons)")
        #expect(at <= 100, "flagged at \(at)")
        // The rule needs the reference: without verdicts the same stream is left to PRADA alone.
        let detector = ExtractionDetector()
        let last = queries.prefix(30).map { detector.observe("c", features: $0, scores: Self.scores($0)) }.last
        #expect(last?.outOfDistributionShare == nil && last?.flagged == false)
    }

    @Test func answersConcentratedOnOneClassAreFlagged() throws {
        let scorer = try Self.scorer()
        #expect(scorer.classShares.count == 4 && abs(scorer.classShares.reduce(0, +) - 1) < 1e-9)
        #expect(scorer.classShares.allSatisfy { $0 > 0.2 && $0 < 0.3 })
        var random = SeededGenerator(seed: 13)
        // Natural rows, but all of class 0 (close to its centre, so no other rule fires).
        let queries = (0..<100).map { _ in Base.centres[0].map { $0 + 0.5 * Base.gaussian(&random) } + [Float](repeating: 0, count: Self.border) }
        let (at, reasons) = try #require(Self.firstFlag(queries, scorer))
        #expect(reasons == ["class_balance"])
        // Every class expects 5 answers from about 20 on.
        #expect(at >= 20 && at <= 26, "flagged at \(at)")
        var policy = ExtractionDetector.Policy()
        policy.classBalance = false
        #expect(Self.firstFlag(queries, scorer, policy: policy) == nil)
    }

    @Test func classBalancePValues() throws {
        let uniform = [0.25, 0.25, 0.25, 0.25]
        #expect(ExtractionDetector.classBalanceP([10, 10, 10, 10], prior: uniform, minExpected: 5) == 1)
        // χ² = 15²/5 + 3·5 = 60 on 3 degrees of freedom: p = 5.878e-13 (scipy.stats.chi2.sf(60, 3)).
        let p = try #require(ExtractionDetector.classBalanceP([20, 0, 0, 0], prior: uniform, minExpected: 5))
        #expect(abs(p / 5.878e-13 - 1) < 0.01, "p \(p)")
        // Too few answers for the approximation, a degenerate prior.
        #expect(ExtractionDetector.classBalanceP([5, 5, 5, 4], prior: uniform, minExpected: 5) == nil)
        #expect(ExtractionDetector.classBalanceP([50, 0], prior: [1, 0], minExpected: 5) == nil)
        // A class the prior never shows, answered anyway, weighs heavily.
        let unseen = try #require(ExtractionDetector.classBalanceP([30, 30, 5], prior: [0.5, 0.5, 0], minExpected: 5))
        #expect(unseen < 1e-6)
    }

    /// log P(K ≥ k) for K ~ Binomial(n, p), summed exactly in log space.
    static func exactLogTail(k: Int, n: Int, p: Double) -> Double {
        let logN: Double = lgamma(Double(n + 1))
        let terms: [Double] = (k...n).map { (j: Int) -> Double in
            let choose: Double = logN - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
            let hits: Double = Double(j) * log(p)
            let misses: Double = Double(n - j) * log(1 - p)
            return choose + hits + misses
        }
        let top = terms.max()!
        return top + log(terms.reduce(0) { $0 + exp($1 - top) })
    }

    @Test(arguments: [(5, 20, 0.005), (20, 20, 0.005), (15, 500, 0.005), (40, 500, 0.05), (3, 1000, 0.005), (1, 1, 0.5)])
    func chernoffBoundIsAnUpperBound(_ k: Int, _ n: Int, _ p: Double) {
        let bound = ExtractionDetector.logBinomialTailBound(k: Double(k), n: Double(n), rate: p)
        let exact = Self.exactLogTail(k: k, n: n, p: p)
        #expect(bound >= exact - 1e-9, "k \(k) n \(n) p \(p): bound \(bound) below the exact \(exact)")
        if Double(k) / Double(n) <= p { #expect(bound == 0) } else { #expect(bound < 0) }
        // Not loose beyond reason: within a factor of n + 1 of the exact tail (Cover & Thomas 11.1).
        #expect(bound - exact <= log(Double(n + 1)) + 1e-9)
    }

    @Test func shapiroWilkRunsEveryTestEveryDistances() {
        var policy = ExtractionDetector.Policy()
        policy.minSamples = 20
        policy.testEvery = 10
        let detector = ExtractionDetector(policy: policy)
        var random = SeededGenerator(seed: 4)
        var ws: [Double] = []
        for _ in 0..<204 {
            let x = Base.natural(&random)
            if let w = detector.observe("c", features: x, scores: Base.scores(x)).w { ws.append(w) }
        }
        // 200 distances (the first query of each of the 4 classes has none): W from the 20th on,
        // recomputed at the 20th, 30th, … 200th.
        #expect(ws.count == 181)
        var changes = 0
        for i in 1..<ws.count where ws[i] != ws[i - 1] { changes += 1 }
        #expect(changes <= 18 && changes >= 15, "\(changes) changes of W")
    }
}
