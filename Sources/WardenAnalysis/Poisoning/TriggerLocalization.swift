import WardenCore

/// Where a suspected backdoor trigger sits: the features that separate a class's suspicious
/// cluster from the rest of the class, by standardised mean difference
/// `(mean_S − mean_R) / √((var_S + var_R)/2 + (0.1·sd_all)²)` (the floor keeps a column that is
/// constant in the clean rows, such as a border pixel, finite). For image-like data the per-pixel
/// largest |difference| over channels is a heatmap, and the connected pixels (8-neighbours) around
/// its peak that reach half the peak give a bounding box.
public struct TriggerLocalization: Sendable, Codable, Equatable {
    public struct Feature: Sendable, Codable, Equatable {
        public var index: Int
        public var name: String
        public var difference: Double
    }

    /// Inclusive pixel rows and columns of the bounding box.
    public struct Box: Sendable, Codable, Equatable {
        public var top: Int
        public var left: Int
        public var bottom: Int
        public var right: Int

        public func contains(y: Int, x: Int) -> Bool { (top...bottom).contains(y) && (left...right).contains(x) }
    }

    /// The largest |difference| first, at most 10.
    public var topFeatures: [Feature]
    /// `[C, H, W]` when the features are an image.
    public var imageShape: [Int]?
    public var box: Box?
    /// `H × W` row-major, the largest |difference| over channels, for image-like data.
    public var heatmap: [Double]?

    /// - Parameters:
    ///   - suspicious: rows of the suspicious cluster; `rest`: the other rows of the class.
    public init(table: FeatureTable, suspicious: [Int], rest: [Int], imageShape: [Int]?) {
        let d = table.width
        let constant = Set(table.constantColumns)
        var differences = [Double](repeating: 0, count: d)
        for column in 0..<d where !constant.contains(column) {
            let s = Self.moments(table.raw, width: d, column: column, rows: suspicious)
            let r = Self.moments(table.raw, width: d, column: column, rows: rest)
            let all = Self.moments(table.raw, width: d, column: column, rows: Array(0..<table.rows))
            let scale = ((s.variance + r.variance) / 2 + 0.01 * all.variance).squareRoot()
            differences[column] = scale > 0 ? (s.mean - r.mean) / scale : 0
        }
        let order = (0..<d).sorted { abs(differences[$0]) > abs(differences[$1]) || (abs(differences[$0]) == abs(differences[$1]) && $0 < $1) }
        topFeatures = order.prefix(10).map { Feature(index: $0, name: table.featureNames[$0], difference: differences[$0]) }
        guard let shape = imageShape, shape.count == 3, shape.reduce(1, *) == d else {
            self.imageShape = nil
            box = nil
            heatmap = nil
            return
        }
        self.imageShape = shape
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        var map = [Double](repeating: 0, count: height * width)
        for c in 0..<channels {
            for p in 0..<(height * width) { map[p] = Swift.max(map[p], abs(differences[c * height * width + p])) }
        }
        heatmap = map
        let peak = map.max() ?? 0
        guard peak > 0 else {
            box = nil
            return
        }
        // The connected region (8-neighbours) around the peak pixel that reaches half the peak.
        var hot = [map.firstIndex(of: peak)!]
        var seen = Set(hot)
        var next = 0
        while next < hot.count {
            let (y, x) = (hot[next] / width, hot[next] % width)
            next += 1
            for dy in -1...1 {
                for dx in -1...1 where (0..<height).contains(y + dy) && (0..<width).contains(x + dx) {
                    let p = (y + dy) * width + x + dx
                    if map[p] >= peak / 2 && seen.insert(p).inserted { hot.append(p) }
                }
            }
        }
        box = Box(
            top: hot.map { $0 / width }.min()!, left: hot.map { $0 % width }.min()!,
            bottom: hot.map { $0 / width }.max()!, right: hot.map { $0 % width }.max()!)
    }

    /// `[C, H, W]` from `CxHxW`, or inferred: a perfect-square feature count of at least 16 is one
    /// grey channel (64 → 1×8×8, 784 → 1×28×28). `nil` when the data is not image-like.
    /// - Throws: `.invalidInput` when `text` is malformed or does not match `features`.
    public static func imageShape(_ text: String?, features: Int) throws -> [Int]? {
        if let text {
            let dims = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard dims.count == 3, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw WardenError.invalidInput("Image shape '\(text)' is not CxHxW with positive sizes, such as 1x8x8")
            }
            let shape = dims.map { $0! }
            var product = 1
            for size in shape {
                let (next, overflow) = product.multipliedReportingOverflow(by: size)
                product = overflow ? -1 : next
                if overflow { break }
            }
            guard product == features else {
                throw WardenError.invalidInput("Image shape \(text) has \(product < 0 ? "too many" : String(product)) values but the table has \(features) features")
            }
            return shape
        }
        let side = Int(Double(features).squareRoot().rounded())
        return features >= 16 && side * side == features ? [1, side, side] : nil
    }

    static func moments(_ values: [Float], width: Int, column: Int, rows: [Int]) -> (mean: Double, variance: Double) {
        guard !rows.isEmpty else { return (0, 0) }
        var mean = 0.0
        for row in rows { mean += Double(values[row * width + column]) }
        mean /= Double(rows.count)
        var variance = 0.0
        for row in rows {
            let delta = Double(values[row * width + column]) - mean
            variance += delta * delta
        }
        return (mean, variance / Double(rows.count))
    }
}
