import WardenCore
import WardenTensor

/// The `k` nearest other rows of every row by Euclidean distance, found exactly by brute force in
/// blocks of rows (GEMM for the dot products), so memory stays at `block × rows` distances.
public struct NearestNeighbors: Sendable {
    /// Row-major `rows × k` neighbour indices, nearest first (ties by index).
    public let indices: [Int]
    /// Row-major `rows × k` distances.
    public let distances: [Float]
    public let k: Int

    /// - Parameters:
    ///   - points: row-major `rows × width`.
    ///   - candidates: when given (one flag per row), only the rows flagged `true` can be
    ///     neighbours; every row still gets its `k` nearest of them (itself excluded).
    /// - Throws: `.invalidInput` when there are not more than `k` rows (candidates).
    public init(points: [Float], rows: Int, width: Int, k: Int, block: Int = 512, candidates: [Bool]? = nil) throws {
        guard rows > k, k > 0 else { throw WardenError.invalidInput("\(rows) rows are too few for \(k) nearest neighbours") }
        if let candidates {
            guard candidates.count == rows else { throw WardenError.invalidInput("\(candidates.count) candidate flags for \(rows) rows") }
            let count = candidates.reduce(0) { $0 + ($1 ? 1 : 0) }
            guard count > k else { throw WardenError.invalidInput("\(count) candidate rows are too few for \(k) nearest neighbours") }
        }
        let all = try Tensor(shape: [rows, width], scalars: points)
        var norms = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            var sum: Float = 0
            for c in 0..<width { sum += points[row * width + c] * points[row * width + c] }
            norms[row] = sum
        }
        var indices = [Int](repeating: 0, count: rows * k)
        var distances = [Float](repeating: 0, count: rows * k)
        var start = 0
        while start < rows {
            let end = Swift.min(rows, start + block)
            let dots = try Tensor.matmul(all.sliced(axis: 0, start: start, end: end), all, transposeB: true).scalars
            for local in 0..<(end - start) {
                let row = start + local
                // A bounded insertion list of the k best (distance, index).
                var best: [(Float, Int)] = []
                best.reserveCapacity(k + 1)
                for other in 0..<rows where other != row && candidates?[other] != false {
                    let d2 = Swift.max(0, norms[row] + norms[other] - 2 * dots[local * rows + other])
                    if best.count == k, let last = best.last, d2 >= last.0 { continue }
                    var position = best.count
                    while position > 0, best[position - 1].0 > d2 { position -= 1 }
                    best.insert((d2, other), at: position)
                    if best.count > k { best.removeLast() }
                }
                // Exact distances for the chosen few (the GEMM form loses digits for near duplicates).
                best = best.map { item in
                    var sum: Float = 0
                    for c in 0..<width {
                        let delta = points[row * width + c] - points[item.1 * width + c]
                        sum += delta * delta
                    }
                    return (sum, item.1)
                }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
                for (j, item) in best.enumerated() {
                    indices[row * k + j] = item.1
                    distances[row * k + j] = item.0.squareRoot()
                }
            }
            start = end
        }
        self.indices = indices
        self.distances = distances
        self.k = k
    }

    public func neighbours(of row: Int) -> ArraySlice<Int> { indices[(row * k)..<((row + 1) * k)] }
}
