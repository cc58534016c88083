import Foundation
import Synchronization
import Testing
import WardenCore
import WardenTesting

@testable import WardenGuard

/// PRADA and the margin/volume rules on synthetic streams: natural (Gaussian) queries stay below
/// δ; a Jacobian-style attacker stepping from a few seeds and a boundary prober are flagged; the
/// actions (throttle, block), flag expiry, and bounded memory.
struct ExtractionDetectorTests {
    final class ManualClock: Sendable {
        let time = Mutex<TimeInterval>(1_800_000_000)
        var clock: WardenClock { WardenClock { Date(timeIntervalSince1970: self.time.withLock { $0 }) } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static let dimension = 16
    static let centres: [[Float]] = (0..<4).map { c in (0..<dimension).map { Float(($0 * 7 + c * 5) % 11) } }

    /// A standard normal deviate (Box–Muller).
    static func gaussian(_ random: inout SeededGenerator) -> Float {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }

    /// Scores of a nearest-centre classifier (logits = −distance).
    static func scores(_ x: [Float]) -> [Float] {
        centres.map { c in -Float(ExtractionDetector.distance(c, x)) }
    }

    static func natural(_ random: inout SeededGenerator) -> [Float] {
        let centre = centres[Int.random(in: 0..<centres.count, using: &random)]
        return centre.map { $0 + 1.5 * gaussian(&random) }
    }

    /// The windows' running sums match a recount after the ring has wrapped many times.
    @Test func ringSumsFollowTheWindow() {
        var ring = ExtractionDetector.Ring()
        var random = SeededGenerator(seed: 5)
        var all: [Double] = []
        for _ in 0..<2_537 {
            let flag: Double = Bool.random(using: &random) ? 1 : 0
            ring.append(flag, capacity: 100)
            all.append(flag)
            #expect(ring.sum == all.suffix(100).reduce(0, +))
        }
        #expect(ring.values.count == 100)
    }

    @Test func naturalQueriesAreNotFlagged() {
        for seed in UInt64(1)...3 {
            var random = SeededGenerator(seed: seed)
            let detector = ExtractionDetector()
            var last: ExtractionDetector.Observation?
            for _ in 0..<600 {
                let x = Self.natural(&random)
                last = detector.observe("benign", features: x, scores: Self.scores(x))
                #expect(last?.flagged == false, "seed \(seed): flagged benign stream: \(String(describing: last))")
                if last?.flagged == true { break }
            }
            #expect((last?.w ?? 0) > 0.9)
            #expect(last?.samples == 600 - Self.centres.count)
        }
    }

    @Test func jacobianStyleAttackerIsFlagged() throws {
        var random = SeededGenerator(seed: 7)
        let detector = ExtractionDetector()
        // A few natural seeds, then rounds of x + λ·sign(noise) around the earlier queries.
        var queries = (0..<10).map { _ in Self.natural(&random) }
        var flaggedAt: Int?
        var count = 0
        for x in queries {
            count += 1
            _ = detector.observe("attacker", features: x, scores: Self.scores(x))
        }
        round: for _ in 0..<6 {
            var next: [[Float]] = []
            for x in queries {
                let y = x.map { $0 + (Bool.random(using: &random) ? 0.1 : -0.1) }
                next.append(y)
                count += 1
                let observation = detector.observe("attacker", features: y, scores: Self.scores(y))
                if observation.newlyFlagged {
                    #expect(observation.reasons.contains("prada"))
                    #expect(observation.risk >= 1)
                    flaggedAt = count
                    break round
                }
            }
            queries += next
        }
        let at = try #require(flaggedAt, "the attacker was never flagged")
        #expect(at <= 200)
        // Flagged once: later queries do not flag again.
        let x = Self.natural(&random)
        let later = detector.observe("attacker", features: x, scores: Self.scores(x))
        #expect(later.flagged && !later.newlyFlagged)
    }

    @Test func boundaryProbingAndVolumeAreFlagged() {
        var policy = ExtractionDetector.Policy()
        policy.minSamples = 20
        let detector = ExtractionDetector(policy: policy)
        var random = SeededGenerator(seed: 3)
        var reasons: [String] = []
        for _ in 0..<40 where reasons.isEmpty {
            let x = Self.natural(&random)
            // Two classes almost tied: margin 0.02.
            reasons = detector.observe("prober", features: x, scores: [0.51, 0.49]).reasons
        }
        #expect(reasons.contains("low_margin"))

        policy.maxVolume = 50
        let counted = ExtractionDetector(policy: policy)
        var flaggedAt = 0
        for i in 1...60 where flaggedAt == 0 {
            let x = Self.natural(&random)
            if counted.observe("bulk", features: x, scores: Self.scores(x)).reasons.contains("volume") { flaggedAt = i }
        }
        #expect(flaggedAt == 51)
    }

    func flag(_ detector: ExtractionDetector, _ client: String) {
        for i in 0..<200 {
            // The same point over and over: every distance is 0.
            _ = detector.observe(client, features: [Float(i % 2), 0], scores: [0.9, 0.1])
        }
    }

    @Test func actionsThrottleAndBlockUntilTheFlagExpires() {
        let time = ManualClock()
        var policy = ExtractionDetector.Policy()
        policy.action = .block
        policy.flagSeconds = 100
        let blocking = ExtractionDetector(policy: policy, clock: time.clock)
        flag(blocking, "x")
        #expect(blocking.standing("x")?.flagged == true)
        #expect(throws: GuardError(.blocked, "")) { try blocking.admit("x") }
        #expect(throws: Never.self) { try blocking.admit("y") }
        time.advance(100)
        #expect(throws: Never.self) { try blocking.admit("x") }

        policy.action = .throttle
        policy.throttleSeconds = 5
        let throttling = ExtractionDetector(policy: policy, clock: time.clock)
        flag(throttling, "x")
        #expect(throws: Never.self) { try throttling.admit("x") }
        #expect(throws: GuardError(.rateLimited, "")) { try throttling.admit("x") }
        time.advance(5)
        #expect(throws: Never.self) { try throttling.admit("x") }

        policy.action = .alert
        let alerting = ExtractionDetector(policy: policy, clock: time.clock)
        flag(alerting, "x")
        #expect(alerting.standing("x")?.flagged == true)
        #expect(throws: Never.self) { try alerting.admit("x") }
        // An expired flag starts the client over.
        time.advance(100)
        let fresh = alerting.observe("x", features: [5, 5], scores: [0.9, 0.1])
        #expect(!fresh.flagged && fresh.samples == 0)
    }

    @Test func memoryIsBounded() {
        var policy = ExtractionDetector.Policy()
        policy.maxClients = 3
        policy.maxStored = 10
        policy.window = 100
        let time = ManualClock()
        let detector = ExtractionDetector(policy: policy, clock: time.clock)
        var random = SeededGenerator(seed: 9)
        for client in 0..<10 {
            for _ in 0..<150 {
                let x = Self.natural(&random)
                _ = detector.observe("c\(client)", features: x, scores: Self.scores(x))
            }
            time.advance(1)
        }
        #expect(detector.clientCount == 3)
        #expect(detector.standing("c0") == nil && detector.standing("c9") != nil)
        #expect(detector.standing("c9")?.samples == 100)
        // Mismatched widths and non-finite scores are measured without crashing.
        _ = detector.observe("c9", features: [1], scores: [.nan, 1])
        _ = detector.observe("c9", features: [], scores: [])
    }
}
