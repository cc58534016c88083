import Foundation
import WardenCore

/// What a model's answers reveal, reduced per model against extraction (Tramèr et al. 2016; Lee et
/// al. 2019; Orekondy et al. 2020): the class scores become probabilities (softmax of logits), then
/// optionally noised with the top-1 class kept (calibrated: benign top-1 accuracy is unchanged),
/// cut to the top k, rounded, or reduced to the label alone (one-hot, so the output keeps its
/// shape and datatype). Written as a spec: `top-k=3`, `round=2`, `label`, `noise=0.05`, joined by
/// commas (`top-k=3,round=2`).
public struct OutputHardening: Sendable, Equatable, CustomStringConvertible {
    /// Keep the k largest probabilities (the others become 0); nil = all.
    public var topK: Int?
    /// Decimal places of the probabilities; nil = full precision.
    public var decimals: Int?
    /// Return only the predicted class (one-hot).
    public var labelOnly = false
    /// Standard deviation of Gaussian noise added to each probability (then clipped at 0,
    /// renormalised, and the original top-1 class swapped back to the top when it lost it).
    public var noise: Double?

    public init(topK: Int? = nil, decimals: Int? = nil, labelOnly: Bool = false, noise: Double? = nil) {
        self.topK = topK
        self.decimals = decimals
        self.labelOnly = labelOnly
        self.noise = noise
    }

    /// Parses a spec (`top-k=3,round=2`, `label`, `noise=0.05`, `none`).
    /// - Throws: `.invalidInput` naming the part that is not understood.
    public init(spec: String) throws {
        self.init()
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where part != "none" {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            switch (pieces.first ?? "", pieces.count == 2 ? pieces[1] : nil) {
            case ("top-k", let value?):
                guard let k = Int(value), k >= 1, k <= 1_000_000 else { throw Self.bad(part) }
                topK = k
            case ("round", let value?):
                guard let d = Int(value), (0...8).contains(d) else { throw Self.bad(part) }
                decimals = d
            case ("noise", let value?):
                guard let sigma = Double(value), sigma >= 0, sigma <= 10 else { throw Self.bad(part) }
                noise = sigma
            case ("label", nil): labelOnly = true
            default: throw Self.bad(part)
            }
        }
    }

    static func bad(_ part: String) -> WardenError {
        WardenError.invalidInput("Output hardening '\(part.prefix(80))' is not top-k=K (K ≥ 1), round=D (0…8), noise=SIGMA (0…10), label or none")
    }

    /// The spec this parses from (`none` when nothing is set).
    public var description: String {
        var parts: [String] = []
        if let noise { parts.append("noise=\(noise)") }
        if let topK { parts.append("top-k=\(topK)") }
        if let decimals { parts.append("round=\(decimals)") }
        if labelOnly { parts.append("label") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    /// Whether anything is changed (else outputs pass through untouched, logits included).
    public var isActive: Bool { topK != nil || decimals != nil || labelOnly || noise != nil }

    /// One row's class scores hardened (as probabilities).
    public func apply<R: RandomNumberGenerator>(_ scores: [Float], using random: inout R) -> [Float] {
        var p = ExtractionDetector.probabilities(scores)
        guard !p.isEmpty, isActive else { return scores }
        let top = p.indices.max { p[$0] < p[$1] } ?? 0
        if labelOnly { return p.indices.map { $0 == top ? 1 : 0 } }
        if let noise, noise > 0 {
            for i in p.indices { p[i] = max(0, p[i] + noise * Self.gaussian(&random)) }
            let total = p.reduce(0, +)
            p = total > 0 ? p.map { $0 / total } : p.indices.map { $0 == top ? 1 : 0 }
            if let now = p.indices.max(by: { p[$0] < p[$1] }), now != top { p.swapAt(now, top) }
        }
        if let topK, topK < p.count {
            let keep = Set(p.indices.sorted { p[$0] > p[$1] }.prefix(topK))
            for i in p.indices where !keep.contains(i) { p[i] = 0 }
        }
        if let decimals {
            let scale = pow(10, Double(decimals))
            p = p.map { ($0 * scale).rounded() / scale }
        }
        return p.map { Float($0) }
    }

    static func gaussian<R: RandomNumberGenerator>(_ random: inout R) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
