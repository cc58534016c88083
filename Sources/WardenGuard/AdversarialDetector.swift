import WardenCore

/// Adversarial and out-of-distribution inputs, per query: the Mahalanobis distance to the
/// reference (training) distribution, feature squeezing (Xu et al., NDSS 2018: the L1 change of
/// the model's probabilities when the input is reduced to fewer bits, or median-smoothed for
/// image-like rows), and a low-confidence flag. Thresholds of the first two are calibrated on the
/// reference rows (their `quantile`), so about 1 − quantile of benign queries is flagged by each.
public struct AdversarialDetector: Sendable {
    /// What the gateway does with a flagged query.
    public enum Action: String, Sendable, CaseIterable {
        /// Alert and audit, serve the answer.
        case log
        /// Also queue it for a person (`/v2/guard/reviews`), serve the answer.
        case review
        /// Refuse it (400), alert and audit.
        case reject
    }

    public struct Policy: Sendable, Equatable {
        public var action: Action = .log
        /// Share of reference rows under each calibrated threshold.
        public var quantile: Double = 0.995
        /// Bits per feature for the bit-depth squeezer (between the reference's min and max); nil = off.
        public var squeezeBits: Int? = 4
        /// Median filter side for image-like rows (a square feature count); nil or < 2 = off.
        public var medianWindow: Int? = 2
        /// Flag when the top probability is below this; nil = off.
        public var minConfidence: Double? = 0.5
        public init() {}
    }

    /// One query's scores and the rules that flagged it (`mahalanobis`, `squeezing`, `low_confidence`).
    public struct Assessment: Sendable, Equatable {
        public var mahalanobis: Double?
        public var squeezing: Double?
        public var confidence: Double
        public var reasons: [String]
        public var flagged: Bool { !reasons.isEmpty }
    }

    public let policy: Policy
    public let mahalanobis: MahalanobisScorer?
    /// The range the bit-depth squeezer quantises (the reference's min and max).
    public let range: ClosedRange<Float>
    /// Calibrated squeezing threshold (nil when no squeezer applies).
    public let squeezeThreshold: Double?
    let side: Int?

    /// Calibrates on reference rows; `predict` runs the model on rows (row-major, `width` each) and
    /// returns each row's class scores (probabilities or logits).
    /// `predict` may be asynchronous (an upstream model server in the gateway's upstream mode).
    /// - Throws: `.invalidInput` for unusable reference data; what `predict` throws.
    public init(
        policy: Policy, features: [Float], width: Int, classes: [Int], predict: ([Float], Int) async throws -> [[Float]]
    ) async throws {
        self.policy = policy
        mahalanobis = try MahalanobisScorer(features: features, width: width, classes: classes, quantile: policy.quantile)
        let lower = features.min() ?? 0, upper = features.max() ?? 1
        range = lower...(upper > lower ? upper : lower + 1)
        let root = Int(Double(width).squareRoot().rounded())
        side = root * root == width && root >= 4 && (policy.medianWindow ?? 0) >= 2 ? root : nil
        let squeezer = Squeezer(bits: policy.squeezeBits, range: range, side: side, window: policy.medianWindow ?? 0)
        if squeezer.variantCount > 0 {
            let rows = classes.count
            let original = try await predict(features, rows)
            var scores = [Double](repeating: 0, count: rows)
            for variant in 0..<squeezer.variantCount {
                var batch = [Float]()
                batch.reserveCapacity(features.count)
                for row in 0..<rows { batch += squeezer.squeezed(Array(features[(row * width)..<((row + 1) * width)]))[variant] }
                let squeezed = try await predict(batch, rows)
                for row in 0..<min(rows, squeezed.count, original.count) {
                    scores[row] = max(scores[row], Self.l1(ExtractionDetector.probabilities(original[row]), ExtractionDetector.probabilities(squeezed[row])))
                }
            }
            scores.sort()
            squeezeThreshold = scores[min(rows - 1, max(0, Int((policy.quantile * Double(rows)).rounded(.up)) - 1))]
        } else {
            squeezeThreshold = nil
        }
    }

    var squeezer: Squeezer { Squeezer(bits: policy.squeezeBits, range: range, side: side, window: policy.medianWindow ?? 0) }

    /// How many squeezed versions ``squeezed(_:)`` makes.
    public var variantCount: Int { squeezer.variantCount }

    /// The row's squeezed versions: bit-depth reduced, then median-smoothed (when image-like).
    public func squeezed(_ row: [Float]) -> [[Float]] { squeezer.squeezed(row) }


    /// Scores one query: its features, the model's scores on it and on its ``squeezed(_:)`` versions;
    /// `mahalanobis` is the features' ``MahalanobisScorer/score(_:)`` when the caller has it already.
    public func assess(features: [Float], scores: [Float], squeezedScores: [[Float]], mahalanobis known: Double? = nil) -> Assessment {
        let probabilities = ExtractionDetector.probabilities(scores)
        let confidence = probabilities.max() ?? 0
        var reasons: [String] = []
        let distance = mahalanobis.map { known ?? $0.score(features) }
        if let distance, let limit = mahalanobis?.threshold, distance > limit { reasons.append("mahalanobis") }
        var squeezing: Double?
        if !squeezedScores.isEmpty {
            squeezing = squeezedScores.map { Self.l1(probabilities, ExtractionDetector.probabilities($0)) }.max()
            if let squeezing, let limit = squeezeThreshold, squeezing > limit { reasons.append("squeezing") }
        }
        if let minimum = policy.minConfidence, confidence < minimum { reasons.append("low_confidence") }
        return Assessment(mahalanobis: distance, squeezing: squeezing, confidence: confidence, reasons: reasons)
    }

    /// The low-confidence rule alone (a model without reference data).
    public static func assessConfidence(scores: [Float], minConfidence: Double?) -> Assessment {
        let confidence = ExtractionDetector.probabilities(scores).max() ?? 0
        let low = minConfidence.map { confidence < $0 } ?? false
        return Assessment(mahalanobis: nil, squeezing: nil, confidence: confidence, reasons: low ? ["low_confidence"] : [])
    }

    static func l1(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return 2 }
        return zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
}

/// The squeezers of ``AdversarialDetector``: bit-depth reduction over `range`, and a median filter
/// for square images of `side`×`side`.
struct Squeezer: Sendable {
    var bits: Int?
    var range: ClosedRange<Float>
    var side: Int?
    var window: Int

    var variantCount: Int { (bits != nil ? 1 : 0) + (side != nil ? 1 : 0) }

    func squeezed(_ row: [Float]) -> [[Float]] {
        var out: [[Float]] = []
        if let bits {
            let levels = Float((1 << max(1, min(16, bits))) - 1)
            let span = range.upperBound - range.lowerBound
            out.append(row.map { value in
                let unit = min(1, max(0, (value - range.lowerBound) / span))
                return range.lowerBound + (unit * levels).rounded() / levels * span
            })
        }
        if let side {
            out.append(row.count == side * side ? Self.median(row, side: side, window: window) : row)
        }
        return out
    }

    /// A `window`×`window` median filter (the window anchored at the pixel, clipped at the edges;
    /// even windows take the upper of the two middle values; Xu et al. use 2×2 on MNIST).
    static func median(_ row: [Float], side: Int, window: Int) -> [Float] {
        var out = row
        var values = [Float]()
        values.reserveCapacity(window * window)
        for y in 0..<side {
            for x in 0..<side {
                values.removeAll(keepingCapacity: true)
                for dy in 0..<window where y + dy < side {
                    for dx in 0..<window where x + dx < side { values.append(row[(y + dy) * side + x + dx]) }
                }
                values.sort()
                out[y * side + x] = values[values.count / 2]
            }
        }
        return out
    }
}
