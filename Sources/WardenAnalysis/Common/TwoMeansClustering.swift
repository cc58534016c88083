import WardenTensor

/// 2-means (Lloyd's algorithm, k-means++ starts, the lowest-inertia of a few seeded restarts) on
/// points in a few dimensions, with the statistics activation clustering tests: the cluster sizes,
/// the mean silhouette and the separation of the two clusters along the line through their centres.
public struct TwoMeansClustering: Sendable {
    /// 0 or 1 per point; cluster 1 is the smaller (ties: the one not holding point 0).
    public let assignment: [Int]
    public let sizes: [Int]
    /// The mean silhouette over the points (over a seeded sample of at most `silhouetteSample`).
    public let silhouette: Double
    /// The mean silhouette of the smaller cluster's points.
    public let smallClusterSilhouette: Double
    /// |μ₁ − μ₀| along the unit line through the centres over the pooled within-cluster standard
    /// deviation along that line (a d′): about 2.7 when one Gaussian blob is cut in two.
    public let separation: Double

    /// - Parameter points: `count × dimensions` row-major.
    public init(points: [Double], count: Int, dimensions: Int, seed: UInt64, restarts: Int = 4, silhouetteSample: Int = 1500) {
        precondition(count >= 2 && dimensions >= 1)
        var generator = SeededRandomGenerator(seed: seed ^ 0x2_3EA4_5C1C)
        func distance(_ a: Int, _ centre: [Double]) -> Double {
            var sum = 0.0
            for d in 0..<dimensions {
                let delta = points[a * dimensions + d] - centre[d]
                sum += delta * delta
            }
            return sum
        }
        func point(_ i: Int) -> [Double] { Array(points[(i * dimensions)..<((i + 1) * dimensions)]) }
        var best: (inertia: Double, assignment: [Int])?
        for _ in 0..<restarts {
            // k-means++: the first centre at random, the second drawn ∝ squared distance.
            var centres = [point(Int(generator.next() % UInt64(count)))]
            let weights = (0..<count).map { distance($0, centres[0]) }
            let total = weights.reduce(0, +)
            var target = Double(generator.next() >> 11) / Double(1 << 53) * total
            var second = count - 1
            for i in 0..<count {
                target -= weights[i]
                if target <= 0 { second = i; break }
            }
            centres.append(point(second))
            var assignment = [Int](repeating: 0, count: count)
            for _ in 0..<100 {
                var changed = false
                for i in 0..<count {
                    let cluster = distance(i, centres[1]) < distance(i, centres[0]) ? 1 : 0
                    if cluster != assignment[i] { assignment[i] = cluster; changed = true }
                }
                var sums = [[Double]](repeating: [Double](repeating: 0, count: dimensions), count: 2)
                var members = [0, 0]
                for i in 0..<count {
                    members[assignment[i]] += 1
                    for d in 0..<dimensions { sums[assignment[i]][d] += points[i * dimensions + d] }
                }
                for c in 0..<2 where members[c] > 0 { centres[c] = sums[c].map { $0 / Double(members[c]) } }
                if !changed { break }
            }
            let inertia = (0..<count).reduce(0.0) { $0 + distance($1, centres[assignment[$1]]) }
            if best == nil || inertia < best!.inertia { best = (inertia, assignment) }
        }
        var assignment = best!.assignment
        var sizes = [assignment.filter { $0 == 0 }.count, 0]
        sizes[1] = count - sizes[0]
        if sizes[1] > sizes[0] || (sizes[1] == sizes[0] && assignment[0] == 1) {
            assignment = assignment.map { 1 - $0 }
            sizes.swapAt(0, 1)
        }
        self.assignment = assignment
        self.sizes = sizes
        guard sizes[1] > 0 else {
            silhouette = 0
            smallClusterSilhouette = 0
            separation = 0
            return
        }
        var centres = [[Double]](repeating: [Double](repeating: 0, count: dimensions), count: 2)
        for i in 0..<count {
            for d in 0..<dimensions { centres[assignment[i]][d] += points[i * dimensions + d] / Double(sizes[assignment[i]]) }
        }
        var line = zip(centres[1], centres[0]).map { $0 - $1 }
        let gap = line.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if gap > 0 { line = line.map { $0 / gap } }
        var spread = [0.0, 0.0]
        for i in 0..<count {
            var along = 0.0
            for d in 0..<dimensions { along += (points[i * dimensions + d] - centres[assignment[i]][d]) * line[d] }
            spread[assignment[i]] += along * along
        }
        let pooled = ((spread[0] / Double(sizes[0]) + spread[1] / Double(sizes[1])) / 2).squareRoot()
        separation = pooled > 0 ? gap / pooled : (gap > 0 ? .infinity : 0)

        // Silhouettes: exact for small sets, else on a seeded sample (distances to every point).
        var sample = Array(0..<count)
        if count > silhouetteSample {
            for i in 0..<silhouetteSample { sample.swapAt(i, i + Int(generator.next() % UInt64(count - i))) }
            sample = Array(sample.prefix(silhouetteSample))
        }
        var total = 0.0, small = 0.0, smallCount = 0
        for i in sample {
            var sums = [0.0, 0.0]
            for j in 0..<count where j != i {
                var sum = 0.0
                for d in 0..<dimensions {
                    let delta = points[i * dimensions + d] - points[j * dimensions + d]
                    sum += delta * delta
                }
                sums[assignment[j]] += sum.squareRoot()
            }
            let own = assignment[i], other = 1 - own
            let s: Double
            if sizes[own] <= 1 {
                s = 0
            } else {
                let a = sums[own] / Double(sizes[own] - 1), b = sums[other] / Double(sizes[other])
                s = Swift.max(a, b) > 0 ? (b - a) / Swift.max(a, b) : 0
            }
            total += s
            if own == 1 { small += s; smallCount += 1 }
        }
        silhouette = total / Double(sample.count)
        smallClusterSilhouette = smallCount > 0 ? small / Double(smallCount) : 0
    }
}
