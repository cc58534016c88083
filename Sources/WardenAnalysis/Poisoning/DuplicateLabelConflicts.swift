/// Exact and near duplicates whose labels disagree. Rows are grouped when their raw features are
/// identical (exact) or their standardised distance is at most `nearDistance` (near, from the
/// nearest-neighbour lists); in a group with more than one label, the rows not carrying the
/// group's majority label are conflicts; without a strict majority, `tieBreak` names the label to
/// keep (the scanner uses the class the cross-validated model finds most probable for the group).
public struct DuplicateLabelConflicts: Sendable {
    /// The group of each conflicting row: the smallest row index in it.
    public let group: [Int: Int]
    /// Whether the conflict is an exact copy (otherwise near).
    public let exact: [Int: Bool]

    public init(table: FeatureTable, neighbours: NearestNeighbors, nearDistance: Float, tieBreak: ([Int]) -> Int? = { _ in nil }) {
        var parent = Array(0..<table.rows)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        func union(_ a: Int, _ b: Int) {
            let ra = find(a), rb = find(b)
            if ra != rb { parent[Swift.max(ra, rb)] = Swift.min(ra, rb) }
        }
        var byValue: [[UInt32]: Int] = [:]
        var isExact = [Bool](repeating: false, count: table.rows)
        for row in 0..<table.rows {
            let key = table.raw[(row * table.width)..<((row + 1) * table.width)].map(\.bitPattern)
            if let first = byValue[key] {
                union(first, row)
                isExact[row] = true
                isExact[first] = true
            } else {
                byValue[key] = row
            }
        }
        for row in 0..<table.rows {
            for (j, other) in neighbours.neighbours(of: row).enumerated() where neighbours.distances[row * neighbours.k + j] <= nearDistance {
                union(row, other)
            }
        }
        var members: [Int: [Int]] = [:]
        for row in 0..<table.rows { members[find(row), default: []].append(row) }
        var group: [Int: Int] = [:], exact: [Int: Bool] = [:]
        for (root, rows) in members where rows.count > 1 {
            var counts: [Int: Int] = [:]
            for row in rows { counts[table.labels[row], default: 0] += 1 }
            guard counts.count > 1 else { continue }
            let top = counts.values.max()!
            let majority = counts.filter { $0.value == top }.count == 1 ? counts.first { $0.value == top }!.key : tieBreak(rows)
            for row in rows where table.labels[row] != majority {
                group[row] = root
                exact[row] = isExact[row]
            }
        }
        self.group = group
        self.exact = exact
    }
}
