import Foundation
import WardenTensor

/// Isolation Forest (Liu, Ting & Zhou, 2008), seeded: `trees` trees, each grown on `sampleSize`
/// rows drawn without replacement by splitting a random feature at a uniform point between its
/// minimum and maximum until a row is alone or the height limit ⌈log₂ ψ⌉ is reached. A row's score
/// is `2^(−E[h(x)] / c(ψ))`: about 0.5 for ordinary rows, towards 1 for rows that are isolated early.
public struct IsolationForest: Sendable {
    public let scores: [Double]

    struct Node {
        var feature: Int
        var split: Float
        var left: Int
        var right: Int
        /// Rows that reached a leaf (meaningful when `feature < 0`).
        var size: Int
    }

    public init(values: [Float], rows: Int, width: Int, trees: Int = 200, sampleSize: Int = 256, seed: UInt64) {
        var generator = SeededRandomGenerator(seed: seed)
        let psi = Swift.min(sampleSize, rows)
        let heightLimit = Int(log2(Double(Swift.max(psi, 2))).rounded(.up))
        var depthSums = [Double](repeating: 0, count: rows)
        var pool = Array(0..<rows)
        for _ in 0..<trees {
            // Partial Fisher–Yates: the first psi entries are the sample.
            for i in 0..<psi { pool.swapAt(i, i + Int(generator.next() % UInt64(rows - i))) }
            var nodes: [Node] = []
            func grow(_ members: [Int], depth: Int) -> Int {
                let index = nodes.count
                nodes.append(Node(feature: -1, split: 0, left: -1, right: -1, size: members.count))
                guard depth < heightLimit, members.count > 1 else { return index }
                // Pick among the features that still vary in this node.
                var candidates: [(Int, Float, Float)] = []
                for f in 0..<width {
                    var low = Float.infinity, high = -Float.infinity
                    for row in members {
                        let v = values[row * width + f]
                        low = Swift.min(low, v)
                        high = Swift.max(high, v)
                    }
                    if high > low { candidates.append((f, low, high)) }
                }
                guard !candidates.isEmpty else { return index }
                let (feature, low, high) = candidates[Int(generator.next() % UInt64(candidates.count))]
                let u = Float(Double(generator.next() >> 11) / Double(1 << 53))
                let split = low + u * (high - low)
                let left = members.filter { values[$0 * width + feature] < split }
                let right = members.filter { values[$0 * width + feature] >= split }
                let l = grow(left, depth: depth + 1)
                let r = grow(right, depth: depth + 1)
                nodes[index].feature = feature
                nodes[index].split = split
                nodes[index].left = l
                nodes[index].right = r
                return index
            }
            _ = grow(Array(pool[0..<psi]), depth: 0)
            for row in 0..<rows {
                var node = 0, depth = 0.0
                while nodes[node].feature >= 0 {
                    node = values[row * width + nodes[node].feature] < nodes[node].split ? nodes[node].left : nodes[node].right
                    depth += 1
                }
                depthSums[row] += depth + Self.averagePathLength(nodes[node].size)
            }
        }
        let c = Self.averagePathLength(psi)
        scores = depthSums.map { pow(2, -($0 / Double(trees)) / Swift.max(c, 1e-12)) }
    }

    /// c(n): the average path length of an unsuccessful search in a binary search tree of n keys.
    static func averagePathLength(_ n: Int) -> Double {
        guard n > 1 else { return 0 }
        if n == 2 { return 1 }
        let harmonic = log(Double(n - 1)) + 0.5772156649015329
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }
}
