import Foundation
import WardenCore
import WardenTensor

/// Compares a new version of a table with the reference one: the tests behind `warden data drift`.
public struct DriftDetector: Sendable {
    public struct Configuration: Sendable {
        /// Significance level for the adjusted feature p-values, MMD and label shift.
        public var alpha: Double
        /// A feature drifts when its adjusted p-value is below `alpha` and its PSI at least this.
        public var psiThreshold: Double
        /// Label shift also needs this total variation distance.
        public var labelShiftThreshold: Double
        public var permutations: Int
        /// Rows sampled (seeded) from each table for MMD.
        public var mmdRows: Int
        public var seed: UInt64
        public var outlierZ: Double
        /// The gate trips when more than this fraction of NEW's rows are outliers.
        public var outlierFraction: Double

        public init(
            alpha: Double = 0.01, psiThreshold: Double = 0.1, labelShiftThreshold: Double = 0.05, permutations: Int = 200, mmdRows: Int = 400,
            seed: UInt64 = 0, outlierZ: Double = 8, outlierFraction: Double = 0.01
        ) {
            self.alpha = alpha
            self.psiThreshold = psiThreshold
            self.labelShiftThreshold = labelShiftThreshold
            self.permutations = permutations
            self.mmdRows = mmdRows
            self.seed = seed
            self.outlierZ = outlierZ
            self.outlierFraction = outlierFraction
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// - Throws: `.invalidInput` when a table has no rows or the label column is missing.
    public func compare(old: DriftTable, new: DriftTable, label: String? = nil) throws -> DriftReport {
        let c = configuration
        guard old.rows >= 2, new.rows >= 2 else {
            throw WardenError.invalidInput("Drift tests need at least 2 rows in each table ('\(old.source)' has \(old.rows), '\(new.source)' has \(new.rows))")
        }
        if let label {
            for table in [old, new] where table.column(label) == nil {
                throw WardenError.invalidInput("'\(table.source)' has no label column '\(label)'")
            }
        }
        let added = new.header.filter { !old.header.contains($0) }
        let removed = old.header.filter { !new.header.contains($0) }
        let shared = old.header.filter { new.header.contains($0) && $0 != label }
        var retyped: [String] = []
        var features: [DriftReport.Feature] = []
        var numericShared: [String] = []
        for name in shared {
            let a = old.column(name)!, b = new.column(name)!
            let numericOld = DriftTable.isNumeric(a), numericNew = DriftTable.isNumeric(b)
            if numericOld != numericNew && !b.allSatisfy(\.isEmpty) { retyped.append(name) }
            let missingOld = Double(a.filter { $0.isEmpty || (numericOld && Double($0)?.isFinite != true) }.count) / Double(a.count)
            let missingNew = Double(b.filter { $0.isEmpty || (numericOld && Double($0)?.isFinite != true) }.count) / Double(b.count)
            if numericOld && numericNew {
                numericShared.append(name)
                let x = DriftTable.numbers(a), y = DriftTable.numbers(b)
                let (d, p) = Self.kolmogorovSmirnov(x, y)
                features.append(.init(
                    name: name, kind: "numeric", test: "ks", statistic: d, pValue: p, adjustedPValue: p, psi: Self.numericPSI(x, y),
                    missingOld: missingOld, missingNew: missingNew, drifted: false))
            } else {
                let (chi, p, _) = Self.chiSquare(a.filter { !$0.isEmpty }, b.filter { !$0.isEmpty })
                features.append(.init(
                    name: name, kind: "categorical", test: "chi2", statistic: chi, pValue: p, adjustedPValue: p,
                    psi: Self.categoricalPSI(a.filter { !$0.isEmpty }, b.filter { !$0.isEmpty }), missingOld: missingOld, missingNew: missingNew,
                    drifted: false))
            }
        }
        let adjusted = Self.benjaminiHochberg(features.map(\.pValue))
        var reasons: [String] = []
        if !added.isEmpty { reasons.append("columns added: \(added.joined(separator: ", "))") }
        if !removed.isEmpty { reasons.append("columns removed: \(removed.joined(separator: ", "))") }
        if !retyped.isEmpty { reasons.append("columns changed type: \(retyped.joined(separator: ", "))") }
        for i in features.indices {
            features[i].adjustedPValue = adjusted[i]
            features[i].drifted = adjusted[i] < c.alpha && features[i].psi >= c.psiThreshold
            if features[i].drifted {
                reasons.append(String(format: "%@ drifted (%@ p=%.2g adjusted, PSI %.2f)", features[i].name, features[i].test, adjusted[i], features[i].psi))
            }
        }
        // MMD and outliers over the numeric features, standardised by OLD.
        var mmd: DriftReport.MMD?
        var outliers: [Int] = []
        if !numericShared.isEmpty {
            let (x, y, width) = Self.standardizedMatrices(old: old, new: new, columns: numericShared)
            mmd = Self.mmdTest(x, y, width: width, configuration: c)
            if let mmd, mmd.pValue < c.alpha { reasons.append(String(format: "joint distribution differs (MMD² %.4f, p=%.3g)", mmd.statistic, mmd.pValue)) }
            outliers = Self.outlierRows(old: old, new: new, columns: numericShared, limit: c.outlierZ)
            if Double(outliers.count) > c.outlierFraction * Double(new.rows) {
                reasons.append("\(outliers.count) rows of NEW are outliers with respect to OLD (robust z > \(c.outlierZ))")
            }
        }
        var labelShift: DriftReport.LabelShift?
        if let label {
            let a = old.column(label)!.filter { !$0.isEmpty }, b = new.column(label)!.filter { !$0.isEmpty }
            let (chi, p, categories) = Self.chiSquare(a, b)
            let countsA = Dictionary(a.map { ($0, 1) }, uniquingKeysWith: +), countsB = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
            let tv = categories.reduce(0.0) { $0 + abs(Double(countsA[$1] ?? 0) / Double(Swift.max(a.count, 1)) - Double(countsB[$1] ?? 0) / Double(Swift.max(b.count, 1))) } / 2
            labelShift = .init(column: label, countsOld: countsA, countsNew: countsB, chiSquare: chi, pValue: p, totalVariation: tv)
            if p < c.alpha && tv >= c.labelShiftThreshold { reasons.append(String(format: "label distribution shifted (χ² p=%.2g, total variation %.3f)", p, tv)) }
        }
        return DriftReport(
            old: old.source, new: new.source, rowsOld: old.rows, rowsNew: new.rows, addedColumns: added, removedColumns: removed, retypedColumns: retyped,
            features: features, mmd: mmd, labelShift: labelShift, outlierRows: outliers, gateTripped: !reasons.isEmpty, reasons: reasons)
    }

    /// The two-sample KS statistic D and its p-value from the asymptotic Kolmogorov distribution with
    /// Stephens' small-sample correction, λ = (√nₑ + 0.12 + 0.11/√nₑ)·D.
    public static func kolmogorovSmirnov(_ x: [Double], _ y: [Double]) -> (Double, Double) {
        guard !x.isEmpty, !y.isEmpty else { return (0, 1) }
        let a = x.sorted(), b = y.sorted()
        var i = 0, j = 0, d = 0.0
        while i < a.count && j < b.count {
            let value = Swift.min(a[i], b[j])
            while i < a.count && a[i] <= value { i += 1 }
            while j < b.count && b[j] <= value { j += 1 }
            d = Swift.max(d, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        let en = Double(a.count * b.count) / Double(a.count + b.count)
        let lambda = (en.squareRoot() + 0.12 + 0.11 / en.squareRoot()) * d
        return (d, kolmogorovSurvival(lambda))
    }

    /// Q(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²).
    static func kolmogorovSurvival(_ lambda: Double) -> Double {
        guard lambda > 0.2 else { return 1 }
        var sum = 0.0, sign = 1.0
        for k in 1...100 {
            let term = sign * exp(-2 * Double(k * k) * lambda * lambda)
            sum += term
            if abs(term) < 1e-16 { break }
            sign = -sign
        }
        return Swift.min(1, Swift.max(0, 2 * sum))
    }

    /// χ² test of homogeneity on the 2 × categories table (no continuity correction).
    static func chiSquare(_ a: [String], _ b: [String]) -> (Double, Double, [String]) {
        let countsA = Dictionary(a.map { ($0, 1) }, uniquingKeysWith: +), countsB = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
        let categories = Set(countsA.keys).union(countsB.keys).sorted()
        guard categories.count > 1, !a.isEmpty, !b.isEmpty else { return (0, 1, categories) }
        let n = Double(a.count + b.count)
        var chi = 0.0
        for category in categories {
            let total = Double((countsA[category] ?? 0) + (countsB[category] ?? 0))
            for (count, size) in [(countsA[category] ?? 0, a.count), (countsB[category] ?? 0, b.count)] {
                let expected = total * Double(size) / n
                chi += (Double(count) - expected) * (Double(count) - expected) / expected
            }
        }
        return (chi, Distributions.chiSquareSurvival(chi, dof: Double(categories.count - 1)), categories)
    }

    /// PSI over the deciles of `x`: Σ (q − p)·ln(q/p), shares floored at 1e-4.
    public static func numericPSI(_ x: [Double], _ y: [Double]) -> Double {
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        let sorted = x.sorted()
        var edges: [Double] = []
        for k in 1..<10 {
            let edge = sorted[Swift.min(sorted.count - 1, k * sorted.count / 10)]
            if edges.last != edge { edges.append(edge) }
        }
        func shares(_ values: [Double]) -> [Double] {
            var counts = [Double](repeating: 0, count: edges.count + 1)
            for v in values {
                var low = 0, high = edges.count
                while low < high {
                    let mid = (low + high) / 2
                    if v < edges[mid] { high = mid } else { low = mid + 1 }
                }
                counts[low] += 1
            }
            return counts.map { Swift.max($0 / Double(values.count), 1e-4) }
        }
        return zip(shares(x), shares(y)).reduce(0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
    }

    public static func categoricalPSI(_ a: [String], _ b: [String]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let countsA = Dictionary(a.map { ($0, 1) }, uniquingKeysWith: +), countsB = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
        return Set(countsA.keys).union(countsB.keys).reduce(0.0) { sum, category in
            let p = Swift.max(Double(countsA[category] ?? 0) / Double(a.count), 1e-4), q = Swift.max(Double(countsB[category] ?? 0) / Double(b.count), 1e-4)
            return sum + (q - p) * log(q / p)
        }
    }

    /// Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1).
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let index = order[rank]
            running = Swift.min(running, p[index] * Double(m) / Double(rank + 1))
            adjusted[index] = Swift.min(1, running)
        }
        return adjusted
    }

    /// Rows of both tables over `columns`, standardised by OLD's mean and deviation; a missing cell is 0.
    static func standardizedMatrices(old: DriftTable, new: DriftTable, columns: [String]) -> ([Double], [Double], Int) {
        var x: [Double] = [], y: [Double] = []
        var stats: [(Double, Double)] = []
        for name in columns {
            let values = DriftTable.numbers(old.column(name)!)
            let mean = values.reduce(0, +) / Double(Swift.max(values.count, 1))
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(values.count, 1))
            stats.append((mean, variance > 0 ? variance.squareRoot() : 1))
        }
        func rows(_ table: DriftTable) -> [Double] {
            var out = [Double](repeating: 0, count: table.rows * columns.count)
            for (j, name) in columns.enumerated() {
                let column = table.column(name)!
                for row in 0..<table.rows {
                    if let v = Double(column[row]), v.isFinite { out[row * columns.count + j] = (v - stats[j].0) / stats[j].1 }
                }
            }
            return out
        }
        x = rows(old)
        y = rows(new)
        return (x, y, columns.count)
    }

    /// Unbiased MMD² with a Gaussian kernel (bandwidth: the median pairwise distance of the pooled
    /// sample) and a seeded permutation test, p = (1 + #{permuted ≥ observed}) / (1 + permutations).
    static func mmdTest(_ x: [Double], _ y: [Double], width: Int, configuration c: Configuration) -> DriftReport.MMD {
        var generator = SeededRandomGenerator(seed: c.seed)
        func sample(_ values: [Double]) -> [Int] {
            var rows = Array(0..<(values.count / width))
            let k = Swift.min(c.mmdRows, rows.count)
            for i in 0..<k { rows.swapAt(i, i + Int(generator.next() % UInt64(rows.count - i))) }
            return Array(rows.prefix(k))
        }
        let sx = sample(x), sy = sample(y)
        var pooled: [[Double]] = sx.map { Array(x[($0 * width)..<(($0 + 1) * width)]) }
        pooled += sy.map { Array(y[($0 * width)..<(($0 + 1) * width)]) }
        let n = pooled.count, m = sx.count
        var d2 = [Double](repeating: 0, count: n * n)
        var distances: [Double] = []
        for i in 0..<n {
            for j in (i + 1)..<n {
                var sum = 0.0
                for f in 0..<width { sum += (pooled[i][f] - pooled[j][f]) * (pooled[i][f] - pooled[j][f]) }
                d2[i * n + j] = sum
                d2[j * n + i] = sum
                if distances.count < 200_000 { distances.append(sum) }
            }
        }
        let median = Distributions.median(distances)
        let gamma = 1 / Swift.max(median, 1e-12)
        let kernel = d2.map { exp(-gamma * $0) }
        func statistic(_ inX: [Bool]) -> Double {
            var xx = 0.0, yy = 0.0, xy = 0.0
            for i in 0..<n {
                for j in 0..<n where i != j {
                    let k = kernel[i * n + j]
                    switch (inX[i], inX[j]) {
                    case (true, true): xx += k
                    case (false, false): yy += k
                    default: xy += k
                    }
                }
            }
            let mx = Double(m), my = Double(n - m)
            return xx / (mx * (mx - 1)) + yy / (my * (my - 1)) - xy / (mx * my)
        }
        var labels = (0..<n).map { $0 < m }
        let observed = statistic(labels)
        var exceed = 0
        for _ in 0..<c.permutations {
            for i in stride(from: n - 1, to: 0, by: -1) { labels.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            if statistic(labels) >= observed { exceed += 1 }
        }
        return .init(
            statistic: observed, pValue: Double(1 + exceed) / Double(1 + c.permutations), permutations: c.permutations, rowsOld: m, rowsNew: n - m)
    }

    /// NEW's rows whose largest robust z-score against OLD's per-column median and MAD exceeds `limit`.
    static func outlierRows(old: DriftTable, new: DriftTable, columns: [String], limit: Double) -> [Int] {
        var worst = [Double](repeating: 0, count: new.rows)
        for name in columns {
            let reference = DriftTable.numbers(old.column(name)!)
            let median = Distributions.median(reference)
            let mad = Distributions.median(reference.map { abs($0 - median) }) * 1.482602218505602
            guard mad > 0 else { continue }
            let column = new.column(name)!
            for row in 0..<new.rows {
                if let v = Double(column[row]), v.isFinite { worst[row] = Swift.max(worst[row], abs(v - median) / mad) }
            }
        }
        return worst.indices.filter { worst[$0] > limit }
    }
}
