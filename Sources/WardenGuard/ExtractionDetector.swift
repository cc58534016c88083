import Foundation
import Synchronization
import WardenAnalysis
import WardenCore

/// Model-extraction detection per client: PRADA (Juuti et al., EuroS&P 2019) on the stream of each
/// query's minimum L2 distance to the client's earlier queries of the same predicted class, the
/// share of the client's queries that lie outside the training distribution (when the gateway
/// knows the model's reference data), the query volume and the share of low-margin
/// (decision-boundary) queries, folded into one risk score. A client whose risk reaches 1 is flagged once (``Observation/newlyFlagged``) and then
/// handled by the policy's ``Action``; flags expire after ``Policy/flagSeconds``.
///
/// PRADA, per client: for a query x predicted as class c with growing set G_c, d = min ‖x − y‖₂
/// over y ∈ G_c is appended to the distance stream D; when d > T_c, x joins G_c and
/// T_c ← max(T_c, mean − std of the distances that admitted members). Once D holds
/// ``Policy/minSamples`` values, values beyond mean ± 3 std are dropped and Shapiro–Wilk W is
/// computed on the rest; W < δ flags the client. W is recomputed every ``Policy/testEvery``
/// distances (a sort of up to ``Policy/window`` values; the coefficients are cached per size), so
/// the per-query cost stays a few microseconds.
///
/// Out of distribution: the gateway passes, per query, whether the reference (training) data's
/// Mahalanobis score calls it out of distribution (a benign query is at most with probability
/// ``Policy/outOfDistributionRate``). With k
/// such queries among the client's last n, the Chernoff bound P(K ≥ k) ≤ exp(−n·KL(k/n ‖ rate))
/// below ``Policy/alpha`` flags the client: synthetic (random) and Jacobian-augmented queries are
/// far from natural data, a benign client's are not.
///
/// Class balance: with the reference's class shares, Pearson's chi-square test of the client's
/// last ``Policy/window`` answers against them (once every class expects ``Policy/minExpected``
/// answers); p < ``Policy/alpha`` flags. Synthetic queries land in a few classes; a benign client
/// replaying natural data gets answers in about the training proportions. A benign client whose
/// traffic is legitimately concentrated on a few classes is flagged too: turn the rule off
/// (``Policy/classBalance``) for such a model.
///
/// Memory is bounded: at most ``Policy/maxClients`` clients (the one idle longest is forgotten
/// first), each with at most ``Policy/maxStored`` stored queries (over all classes; once full, new
/// queries are still measured against the stored ones but no longer join them) and the last
/// ``Policy/window`` distances and margins. Worst case ≈ maxClients × maxStored × features × 4 bytes
/// (256 × 1000 × 64 features × 4 B = 64 MiB for a digits model).
public final class ExtractionDetector: Sendable {
    /// What the gateway does with a flagged client.
    public enum Action: String, Sendable, CaseIterable {
        /// Raise an alert, keep serving.
        case alert
        /// Alert and let the client through at most once per ``Policy/throttleSeconds`` (429 otherwise).
        case throttle
        /// Alert and refuse every request of the client (403) while the flag lasts.
        case block
        /// Alert, block, and revoke the client's token (the gateway does the revoking).
        case revoke
    }

    public struct Policy: Sendable, Equatable {
        /// PRADA's threshold: flag when Shapiro–Wilk W of the distance stream is below δ.
        public var delta: Double = 0.9
        /// Distances needed before W is computed (PRADA uses 100).
        public var minSamples: Int = 100
        /// W is recomputed once every this many new distances (1: on every query).
        public var testEvery: Int = 10
        /// Share of a benign client's queries allowed out of distribution: 4× the 0.5 % the
        /// reference threshold leaves out of its own rows (quantile 0.995), as a threshold fitted
        /// on the training rows flags somewhat more of unseen natural rows.
        public var outOfDistributionRate: Double = 0.02
        /// Significance of the out-of-distribution count test (flag when its bound on the p-value
        /// under the benign rate is below this).
        public var alpha: Double = 1e-6
        /// Queries with a known distribution verdict needed before that test runs.
        public var minReferenced: Int = 20
        /// Test the client's answers' class shares against the reference's (when known).
        public var classBalance: Bool = true
        /// The class-balance test runs once every class expects this many answers (the usual
        /// validity rule of the chi-square approximation).
        public var minExpected: Double = 5
        /// Distances and margins kept per client (the most recent).
        public var window: Int = 1000
        /// Stored queries per client over all classes.
        public var maxStored: Int = 1000
        /// Clients tracked at once.
        public var maxClients: Int = 256
        /// A query is low-margin when its top-1 minus top-2 probability is below this.
        public var lowMargin: Double = 0.1
        /// Flag when more than this share of the window's queries are low-margin (after minSamples).
        public var maxLowMarginShare: Double = 0.5
        /// Flag when a client sends more rows than this within ``volumeSeconds``; nil = no volume rule.
        public var maxVolume: Int? = nil
        public var volumeSeconds: Double = 3600
        public var action: Action = .alert
        /// How long a flag lasts (seconds) before the client starts over with a clean state.
        public var flagSeconds: Double = 3600
        /// A throttled client's spacing between admitted requests (seconds).
        public var throttleSeconds: Double = 10

        public init() {}
    }

    /// What one query did to its client's standing.
    public struct Observation: Sendable, Equatable {
        /// max of the rules' scores; ≥ 1 means flagged.
        public var risk: Double
        /// Shapiro–Wilk W of the distance stream (nil before minSamples).
        public var w: Double?
        /// Share of the window's queries outside the training distribution (nil: no reference data).
        public var outOfDistributionShare: Double?
        /// p-value of the chi-square test of the window's answers against the reference's class
        /// shares (nil: no reference data, or too few answers yet).
        public var classBalanceP: Double?
        /// Distances in the stream window.
        public var samples: Int
        public var lowMarginShare: Double
        /// Rows in the current volume period.
        public var volume: Int
        /// The rules that flagged: `prada`, `out_of_distribution`, `class_balance`, `low_margin`, `volume`.
        public var reasons: [String]
        public var flagged: Bool
        /// True only for the query that flagged the client (alert once).
        public var newlyFlagged: Bool
    }

    struct ClientState {
        var stored: [[Float]] = []
        var storedClass: [Int] = []
        var thresholds: [Int: Double] = [:]
        var admitted: [Int: (count: Int, sum: Double, sumSquares: Double)] = [:]
        var distances = Ring()
        var margins = Ring()
        var novel = Ring()
        /// The predicted classes of the last `window` queries with a class prior, their counts, and the prior.
        var answers: [Int] = []
        var nextAnswer = 0
        var answerCounts: [Int] = []
        var prior: [Double] = []
        /// Distances appended since W was last computed, and that W.
        var untested = 0
        var w: Double?
        var volumeStart = 0.0
        var volume = 0
        var flaggedAt: Double?
        var lastAdmitted = -Double.infinity
        var lastSeen = 0.0
        var last: Observation?
    }

    /// The last `capacity` values, and their sum kept as they come and go (exact for the 0/1
    /// flags of the margin and distribution windows, which are summed on every query).
    struct Ring {
        var values: [Double] = []
        var next = 0
        private(set) var sum = 0.0

        mutating func append(_ value: Double, capacity: Int) {
            if values.count < capacity {
                values.append(value)
            } else {
                sum -= values[next]
                values[next] = value
                next = (next + 1) % capacity
            }
            sum += value
        }
    }

    public let policy: Policy
    let clock: WardenClock
    private let clients = Mutex<[String: ClientState]>([:])

    public init(policy: Policy = Policy(), clock: WardenClock = .system) {
        var policy = policy
        policy.minSamples = max(3, policy.minSamples)
        policy.window = max(policy.minSamples, min(5000, policy.window))
        policy.maxStored = max(1, policy.maxStored)
        policy.maxClients = max(1, policy.maxClients)
        policy.testEvery = max(1, policy.testEvery)
        policy.minReferenced = max(1, policy.minReferenced)
        self.policy = policy
        self.clock = clock
    }

    /// Whether `client` may send a request now under the policy's action.
    /// - Throws: ``GuardError`` `.blocked` (block, revoke) or `.rateLimited` (throttle) for a flagged client.
    public func admit(_ client: String) throws(GuardError) {
        guard policy.action != .alert else { return }
        let now = clock.now().timeIntervalSince1970
        let refusal: GuardError? = clients.withLock { clients in
            guard var state = clients[client], let flaggedAt = state.flaggedAt, now - flaggedAt < policy.flagSeconds else { return nil }
            switch policy.action {
            case .alert: return nil
            case .throttle:
                let wait = state.lastAdmitted + policy.throttleSeconds - now
                if wait > 0 {
                    return GuardError(.rateLimited, "throttled: this client's queries look like model extraction", retryAfter: wait)
                }
                state.lastAdmitted = now
                clients[client] = state
                return nil
            case .block, .revoke:
                return GuardError(.blocked, "blocked: this client's queries look like model extraction; ask an administrator", retryAfter: flaggedAt + policy.flagSeconds - now)
            }
        }
        if let refusal { throw refusal }
    }

    /// Records one query: its features (the flattened input row), the model's class scores
    /// (probabilities or logits; logits are turned into probabilities with a softmax), and whether
    /// the model's reference data calls it out of distribution (nil: unknown, no reference data).
    /// `classPrior` (the reference's class shares, indexed like the scores) turns on the
    /// class-balance test for this client.
    public func observe(_ client: String, features: [Float], scores: [Float], outOfDistribution: Bool? = nil, classPrior: [Double]? = nil) -> Observation {
        let now = clock.now().timeIntervalSince1970
        let probabilities = Self.probabilities(scores)
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        let sorted = probabilities.sorted(by: >)
        let margin = sorted.count > 1 ? sorted[0] - sorted[1] : 1
        return clients.withLock { clients in
            if clients[client] == nil, clients.count >= policy.maxClients,
                let idle = clients.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
            {
                clients[idle] = nil
            }
            // Taken out of the dictionary while it changes, so that its arrays (up to `window`
            // distances, margins and answers, `maxStored` queries) are updated in place, not copied.
            var state = clients.removeValue(forKey: client) ?? ClientState(volumeStart: now)
            if let flaggedAt = state.flaggedAt, now - flaggedAt >= policy.flagSeconds { state = ClientState(volumeStart: now) }
            state.lastSeen = now
            if let outOfDistribution { state.novel.append(outOfDistribution ? 1 : 0, capacity: policy.window) }
            if policy.classBalance, let classPrior, classPrior.count == probabilities.count, classPrior.count >= 2 {
                recordAnswer(&state, predicted, prior: classPrior)
            }
            record(&state, features: features, predicted: predicted, margin: margin, now: now)
            let observation = assess(&state)
            clients[client] = state
            return observation
        }
    }

    /// The client's last observation (nil when unknown or forgotten).
    public func standing(_ client: String) -> Observation? { clients.withLock { $0[client]?.last } }

    /// Forgets a client (after an administrator cleared it).
    public func reset(_ client: String) { clients.withLock { $0[client] = nil } }

    /// Clients currently tracked.
    public var clientCount: Int { clients.withLock { $0.count } }

    func record(_ state: inout ClientState, features: [Float], predicted c: Int, margin: Double, now: Double) {
        if now - state.volumeStart >= policy.volumeSeconds || now < state.volumeStart {
            state.volumeStart = now
            state.volume = 0
        }
        state.volume += 1
        state.margins.append(margin < policy.lowMargin ? 1 : 0, capacity: policy.window)
        var nearest = Double.infinity
        for (member, memberClass) in zip(state.stored, state.storedClass) where memberClass == c && member.count == features.count {
            nearest = min(nearest, Self.distance(member, features))
        }
        guard nearest.isFinite else {
            if state.stored.count < policy.maxStored {
                state.stored.append(features)
                state.storedClass.append(c)
            }
            return
        }
        state.distances.append(nearest, capacity: policy.window)
        state.untested += 1
        if nearest > state.thresholds[c, default: 0], state.stored.count < policy.maxStored {
            state.stored.append(features)
            state.storedClass.append(c)
            var admitted = state.admitted[c] ?? (0, 0, 0)
            admitted.count += 1
            admitted.sum += nearest
            admitted.sumSquares += nearest * nearest
            state.admitted[c] = admitted
            let mean = admitted.sum / Double(admitted.count)
            let std = max(0, admitted.sumSquares / Double(admitted.count) - mean * mean).squareRoot()
            state.thresholds[c] = max(state.thresholds[c, default: 0], mean - std)
        }
    }

    /// Adds an answer to the class-balance window (which starts over when the prior changes: a
    /// client moved to another model).
    func recordAnswer(_ state: inout ClientState, _ predicted: Int, prior: [Double]) {
        if state.prior != prior {
            state.prior = prior
            state.answers = []
            state.nextAnswer = 0
            state.answerCounts = [Int](repeating: 0, count: prior.count)
        }
        if state.answers.count < policy.window {
            state.answers.append(predicted)
        } else {
            state.answerCounts[state.answers[state.nextAnswer]] -= 1
            state.answers[state.nextAnswer] = predicted
            state.nextAnswer = (state.nextAnswer + 1) % policy.window
        }
        state.answerCounts[predicted] += 1
    }

    /// Pearson's chi-square test of `counts` against `prior` (k − 1 degrees of freedom over the
    /// classes the prior gives any share); nil until every such class expects `minExpected`.
    static func classBalanceP(_ counts: [Int], prior: [Double], minExpected: Double) -> Double? {
        let n = Double(counts.reduce(0, +))
        let total = prior.reduce(0) { $0 + max(0, $1) }
        let shares = prior.map { max(0, $0) / max(total, 1e-12) }
        let present = shares.filter { $0 > 0 }
        guard present.count >= 2, let smallest = present.min(), smallest * n >= minExpected else { return nil }
        var chi2 = 0.0
        for (observed, share) in zip(counts, shares) {
            // A class the reference never shows, answered anyway, counts as if half a row were expected.
            let expected = max(share * n, 0.5)
            chi2 += (Double(observed) - expected) * (Double(observed) - expected) / expected
        }
        return Distributions.chiSquareSurvival(chi2, dof: Double(present.count - 1))
    }

    func assess(_ state: inout ClientState) -> Observation {
        var reasons: [String] = []
        var risk = 0.0
        var w: Double?
        let distances = state.distances.values
        if distances.count >= policy.minSamples {
            if state.w == nil || state.untested >= policy.testEvery {
                state.w = Self.pradaW(distances)
                state.untested = 0
            }
            w = state.w
            // 0 at W = 1, 1 at W = δ.
            if let w {
                risk = max(risk, (1 - w) / max(1e-9, 1 - policy.delta))
                if w < policy.delta { reasons.append("prada") }
            }
        }
        let margins = state.margins.values.count
        let share = margins == 0 ? 0 : state.margins.sum / Double(margins)
        if margins >= policy.minSamples {
            risk = max(risk, share / max(1e-9, policy.maxLowMarginShare))
            if share > policy.maxLowMarginShare { reasons.append("low_margin") }
        }
        var novelShare: Double?
        let novel = state.novel.values.count
        if novel > 0 {
            let k = state.novel.sum
            novelShare = k / Double(novel)
            if novel >= policy.minReferenced {
                // log of the Chernoff bound on P(K ≥ k); the score is 1 at log α.
                let logP = Self.logBinomialTailBound(k: k, n: Double(novel), rate: policy.outOfDistributionRate)
                risk = max(risk, logP / log(policy.alpha))
                if logP < log(policy.alpha) { reasons.append("out_of_distribution") }
            }
        }
        var balanceP: Double?
        if !state.prior.isEmpty, let p = Self.classBalanceP(state.answerCounts, prior: state.prior, minExpected: policy.minExpected) {
            balanceP = p
            let logP = log(max(p, 1e-300))
            risk = max(risk, logP / log(policy.alpha))
            if logP < log(policy.alpha) { reasons.append("class_balance") }
        }
        if let maxVolume = policy.maxVolume {
            risk = max(risk, Double(state.volume) / Double(max(1, maxVolume)))
            if state.volume > maxVolume { reasons.append("volume") }
        }
        let flagged = !reasons.isEmpty || state.flaggedAt != nil
        let newly = !reasons.isEmpty && state.flaggedAt == nil
        if newly { state.flaggedAt = clock.now().timeIntervalSince1970 }
        let observation = Observation(
            risk: flagged ? max(1, risk) : min(risk, 0.999), w: w, outOfDistributionShare: novelShare, classBalanceP: balanceP, samples: distances.count, lowMarginShare: share, volume: state.volume,
            reasons: reasons, flagged: flagged, newlyFlagged: newly)
        state.last = observation
        return observation
    }

    /// W of the distances after dropping values beyond mean ± 3 std (1 when W is undefined, as
    /// for a stream of identical distances… which only an attacker produces: 0 then).
    static func pradaW(_ distances: [Double]) -> Double {
        let n = Double(distances.count)
        let mean = distances.reduce(0, +) / n
        let std = (distances.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let kept = std > 0 ? distances.filter { abs($0 - mean) <= 3 * std } : distances
        // All distances equal: a replayed or mechanically stepped stream, as far from normal as it gets.
        return ShapiroWilk.test(kept)?.w ?? 0
    }

    /// log of the Chernoff–Hoeffding bound exp(−n·KL(k/n ‖ rate)) on P(K ≥ k) for K ~ Binomial(n,
    /// rate); 0 (p ≤ 1, no evidence) when k/n ≤ rate.
    static func logBinomialTailBound(k: Double, n: Double, rate: Double) -> Double {
        let q = min(max(rate, 1e-12), 1 - 1e-12)
        let share = k / n
        guard share > q else { return 0 }
        var kl = share * log(share / q)
        if share < 1 { kl += (1 - share) * log((1 - share) / (1 - q)) }
        return -n * kl
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var sum: Float = 0
        for i in a.indices {
            let d = a[i] - b[i]
            sum += d * d
        }
        return Double(sum).squareRoot()
    }

    /// `scores` as probabilities: unchanged when they already are (non-negative, summing to 1),
    /// else softmax.
    package static func probabilities(_ scores: [Float]) -> [Double] {
        let values = scores.map { Double($0) }
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else { return values.map { _ in 0 } }
        let sum = values.reduce(0, +)
        if values.allSatisfy({ $0 >= 0 && $0 <= 1 }), abs(sum - 1) < 1e-3 { return values }
        let top = values.max()!
        let exps = values.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }
}
