/// Confident learning (Northcutt, Jiang & Chuang, 2021) on out-of-sample probabilities, as
/// cleanlab's `find_label_issues(filter_by="prune_by_noise_rate")` does it:
///
/// 1. per-class thresholds `t_j` = mean predicted probability of class j over the rows labelled j;
/// 2. the confident joint `C[i][j]`: rows labelled i whose most probable class among those above
///    their threshold is j; calibrated so row i sums to the count of label i and the whole to N;
/// 3. for each labelled class i and other class j, the `C[i][j]` rows labelled i with the largest
///    margin `p_j − p_i` are issues (keeping at least one row per class);
/// 4. rows whose most probable class is their label are never issues.
public struct ConfidentLearning: Sendable {
    /// Whether each row is a label issue.
    public let isIssue: [Bool]
    /// The calibrated confident joint, `classes × classes` row-major (given label × true class).
    public let confidentJoint: [Int]
    /// The per-class thresholds.
    public let thresholds: [Double]
    /// The probability of each row's own label (cleanlab's self-confidence quality score).
    public let selfConfidence: [Double]
    /// Each row's most probable class.
    public let predicted: [Int]

    /// - Parameter thresholdRows: when given (one flag per row), the per-class thresholds are the
    ///   mean self-confidence over the rows flagged `true` only (over all rows of a class that has
    ///   none) — e.g. the rows an earlier pass did not flag, whose self-confidence the flipped
    ///   rows do not drag down.
    public init(labels: [Int], probabilities: [Float], classes k: Int, thresholdRows: [Bool]? = nil) {
        let n = labels.count
        func p(_ row: Int, _ c: Int) -> Double { Double(probabilities[row * k + c]) }
        var counts = [Int](repeating: 0, count: k)
        var sums = [Double](repeating: 0, count: k)
        var keptCounts = [Int](repeating: 0, count: k)
        var keptSums = [Double](repeating: 0, count: k)
        for (row, label) in labels.enumerated() {
            counts[label] += 1
            sums[label] += p(row, label)
            if thresholdRows?[row] == true {
                keptCounts[label] += 1
                keptSums[label] += p(row, label)
            }
        }
        let thresholds = (0..<k).map { c in
            keptCounts[c] > 0 ? keptSums[c] / Double(keptCounts[c]) : counts[c] > 0 ? sums[c] / Double(counts[c]) : 1.0
        }
        var joint = [Double](repeating: 0, count: k * k)
        var predicted = [Int](repeating: 0, count: n)
        for (row, label) in labels.enumerated() {
            var best = -1, bestP = -1.0, arg = 0, argP = -1.0
            for c in 0..<k {
                let value = p(row, c)
                if value > argP { arg = c; argP = value }
                // cleanlab subtracts a tiny epsilon so a probability equal to its threshold counts.
                if counts[c] > 0, value >= thresholds[c] - 1e-6, value > bestP { best = c; bestP = value }
            }
            predicted[row] = arg
            if best >= 0 { joint[label * k + best] += 1 }
        }
        // Calibrate: each row sums to its label's count, then the matrix to N.
        for i in 0..<k {
            let rowSum = (0..<k).reduce(0.0) { $0 + joint[i * k + $1] }
            for j in 0..<k { joint[i * k + j] = rowSum > 0 ? joint[i * k + j] / rowSum * Double(counts[i]) : 0 }
        }
        let total = joint.reduce(0, +)
        if total > 0 { for i in joint.indices { joint[i] *= Double(n) / total } }
        var rounded = [Int](repeating: 0, count: k * k)
        for i in 0..<k {
            rounded.replaceSubrange((i * k)..<((i + 1) * k), with: Self.roundPreservingTotal(Array(joint[(i * k)..<((i + 1) * k)])))
        }
        var rowsByLabel = [[Int]](repeating: [], count: k)
        for (row, label) in labels.enumerated() { rowsByLabel[label].append(row) }
        var isIssue = [Bool](repeating: false, count: n)
        for i in 0..<k where counts[i] > 1 {
            // Keep at least one row of every class: scale the off-diagonal counts down if needed.
            var prune = (0..<k).map { $0 == i ? 0 : rounded[i * k + $0] }
            let budget = counts[i] - 1
            let wanted = prune.reduce(0, +)
            if wanted > budget {
                prune = Self.roundPreservingTotal(prune.map { Double($0) * Double(budget) / Double(wanted) })
            }
            for j in 0..<k where prune[j] > 0 {
                let ranked = rowsByLabel[i].sorted { a, b in
                    let ma = p(a, j) - p(a, i), mb = p(b, j) - p(b, i)
                    return ma != mb ? ma > mb : a < b
                }
                for row in ranked.prefix(prune[j]) { isIssue[row] = true }
            }
        }
        for row in 0..<n where predicted[row] == labels[row] { isIssue[row] = false }
        self.isIssue = isIssue
        confidentJoint = rounded
        self.thresholds = thresholds
        selfConfidence = (0..<n).map { p($0, labels[$0]) }
        self.predicted = predicted
    }

    /// Rounds `values` to integers whose sum is the rounded sum (largest remainders first).
    static func roundPreservingTotal(_ values: [Double]) -> [Int] {
        let target = Int(values.reduce(0, +).rounded())
        var floors = values.map { Int($0.rounded(.down)) }
        var missing = target - floors.reduce(0, +)
        let order = values.indices.sorted { (values[$0] - Double(floors[$0])) > (values[$1] - Double(floors[$1])) }
        for index in order where missing > 0 {
            floors[index] += 1
            missing -= 1
        }
        return floors
    }
}
