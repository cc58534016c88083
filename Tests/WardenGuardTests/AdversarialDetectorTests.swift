import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenGuard

/// Mahalanobis scores calibrated on reference rows, the squeezers (bit depth, median filter) with
/// known answers, and the rules of one assessment.
struct AdversarialDetectorTests {
    static let width = 16
    static let centres: [[Float]] = [(0..<width).map { Float($0 % 4) }, (0..<width).map { Float(3 - $0 % 4) }]

    static func reference(_ count: Int, seed: UInt64) -> (features: [Float], classes: [Int]) {
        var random = SeededGenerator(seed: seed)
        var features: [Float] = [], classes: [Int] = []
        for i in 0..<count {
            let c = i % 2
            features += centres[c].map { min(3, max(0, $0 + Float.random(in: -0.6...0.6, using: &random))) }
            classes.append(c)
        }
        return (features, classes)
    }

    /// Logits of a nearest-centre classifier.
    static func predict(_ rows: [Float], _ count: Int) -> [[Float]] {
        (0..<count).map { r in
            let x = Array(rows[(r * width)..<((r + 1) * width)])
            return centres.map { c in -zip(c, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        }
    }

    @Test func mahalanobisFlagsFarRowsAndFewReferenceRows() throws {
        let (features, classes) = Self.reference(400, seed: 1)
        let scorer = try MahalanobisScorer(features: features, width: Self.width, classes: classes, quantile: 0.99)
        let fresh = Self.reference(400, seed: 2)
        let flagged = (0..<400).filter { scorer.score(Array(fresh.features[($0 * Self.width)..<(($0 + 1) * Self.width)])) > scorer.threshold }.count
        #expect(flagged <= 16, "\(flagged) of 400 benign rows over the 99 % threshold")
        // A row between the classes, off the manifold, and a shifted one.
        #expect(scorer.score([Float](repeating: 1.5, count: Self.width)) > scorer.threshold)
        #expect(scorer.score(Self.centres[0].map { $0 + 2 }) > scorer.threshold)
        #expect(scorer.score(Self.centres[1]) < scorer.threshold)
        #expect(scorer.score([1, 2]) == .infinity)
        #expect(scorer.score([Float](repeating: .nan, count: Self.width)) == .infinity)
        #expect(throws: (any Error).self) { try MahalanobisScorer(features: [1, 2], width: 2, classes: [0]) }
        #expect(throws: (any Error).self) { try MahalanobisScorer(features: [1, .nan, 3, 4], width: 2, classes: [0, 1]) }
        // Constant features (blank pixels) keep the covariance invertible.
        _ = try MahalanobisScorer(features: [0, 1, 0, 2, 0, 3], width: 2, classes: [0, 0, 1])
    }

    /// The whitened scoring (one solve per query) against the definition: Σ = L Lᵀ rebuilt from
    /// the factor, Σ v = x − μ_c solved by Gaussian elimination per class, min over classes of (x − μ_c)·v.
    @Test func whitenedScoresMatchTheDefinition() throws {
        let (features, classes) = Self.reference(300, seed: 3)
        let scorer = try MahalanobisScorer(features: features, width: Self.width, classes: classes, quantile: 0.99)
        let n = Self.width
        var sigma = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0...min(i, j) { sigma[i * n + j] += scorer.factor[i * n + k] * scorer.factor[j * n + k] } } }
        func solve(_ b: [Double]) -> [Double] {
            var a = sigma, x = b
            for col in 0..<n {
                let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
                for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
                x.swapAt(col, pivot)
                for row in (col + 1)..<n {
                    let f = a[row * n + col] / a[col * n + col]
                    for k in col..<n { a[row * n + k] -= f * a[col * n + k] }
                    x[row] -= f * x[col]
                }
            }
            for row in stride(from: n - 1, through: 0, by: -1) {
                for k in (row + 1)..<n { x[row] -= a[row * n + k] * x[k] }
                x[row] /= a[row * n + row]
            }
            return x
        }
        var random = SeededGenerator(seed: 9)
        for _ in 0..<20 {
            let x = (0..<n).map { _ in Float.random(in: -1...4, using: &random) }
            let expected = scorer.means.map { mean in
                let d = (0..<n).map { Double(x[$0]) - mean[$0] }
                return zip(d, solve(d)).reduce(0) { $0 + $1.0 * $1.1 }
            }.min()!
            #expect(abs(scorer.score(x) - expected) <= 1e-9 * max(1, expected), "\(scorer.score(x)) vs \(expected)")
        }
    }

    @Test func squeezersHaveKnownAnswers() async throws {
        let (features, classes) = Self.reference(200, seed: 3)
        var policy = AdversarialDetector.Policy()
        policy.squeezeBits = 1
        let detector = try await AdversarialDetector(policy: policy, features: features, width: Self.width, classes: classes, predict: Self.predict)
        #expect(detector.range == 0...3)
        #expect(detector.variantCount == 2)
        let row: [Float] = [0, 0.5, 1.4, 1.6, 3, 2.9, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3]
        let squeezed = detector.squeezed(row)
        // One bit over 0…3: values go to 0 or 3.
        #expect(squeezed[0] == [0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3])
        // 2×2 median anchored at each pixel (upper median of 4; clipped windows at the edges).
        let image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        #expect(Squeezer.median(image, side: 4, window: 2) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 14, 15, 16, 16])
        #expect(detector.squeezeThreshold != nil)
    }

    @Test func assessmentNamesTheRules() async throws {
        let (features, classes) = Self.reference(400, seed: 4)
        let detector = try await AdversarialDetector(policy: .init(), features: features, width: Self.width, classes: classes, predict: Self.predict)
        func assess(_ x: [Float]) -> AdversarialDetector.Assessment {
            let scores = Self.predict(x, 1)[0]
            return detector.assess(features: x, scores: scores, squeezedScores: detector.squeezed(x).map { Self.predict($0, 1)[0] })
        }
        #expect(!assess(Self.centres[0]).flagged)
        #expect(assess(Self.centres[0].map { $0 + 3 }).reasons.contains("mahalanobis"))
        // Halfway between the two centres: a coin toss for the model.
        let tie = zip(Self.centres[0], Self.centres[1]).map { ($0 + $1) / 2 }
        #expect(detector.assess(features: tie, scores: [0.3, 0.3, 0.4], squeezedScores: []).reasons.contains("low_confidence"))
        #expect(AdversarialDetector.assessConfidence(scores: [5, 0], minConfidence: 0.5).reasons.isEmpty)
        #expect(AdversarialDetector.assessConfidence(scores: [0.2, 0.3, 0.5 - 1e-3, 0.001], minConfidence: 0.5).reasons == ["low_confidence"])
    }
}

/// Output hardening specs and their effect on one row.
struct OutputHardeningTests {
    @Test func specsParseAndPrint() throws {
        #expect(try OutputHardening(spec: "top-k=3,round=2").description == "top-k=3,round=2")
        #expect(try OutputHardening(spec: "none").isActive == false)
        #expect(try OutputHardening(spec: "label").labelOnly)
        #expect(try OutputHardening(spec: "noise=0.05").noise == 0.05)
        for bad in ["top-k=0", "round=9", "noise=-1", "labels", "top-k", "label=1", "top-k=x"] {
            #expect(throws: WardenError.self, "\(bad)") { try OutputHardening(spec: bad) }
        }
    }

    @Test func applyKeepsTopOneAndReducesInformation() throws {
        var random = SeededGenerator(seed: 1)
        let logits: [Float] = [2, 0.5, 1, -1]
        let p = ExtractionDetector.probabilities(logits)
        let topTwo = try OutputHardening(spec: "top-k=2,round=2").apply(logits, using: &random)
        #expect(topTwo == [Float((p[0] * 100).rounded() / 100), 0, Float((p[2] * 100).rounded() / 100), 0])
        #expect(try OutputHardening(spec: "label").apply(logits, using: &random) == [1, 0, 0, 0])
        #expect(try OutputHardening(spec: "none").apply(logits, using: &random) == logits)
        for _ in 0..<200 {
            let noisy = try OutputHardening(spec: "noise=0.5").apply(logits, using: &random)
            #expect(noisy.indices.max { noisy[$0] < noisy[$1] } == 0)
            #expect(abs(noisy.reduce(0, +) - 1) < 1e-5 && noisy.allSatisfy { $0 >= 0 })
        }
    }
}
