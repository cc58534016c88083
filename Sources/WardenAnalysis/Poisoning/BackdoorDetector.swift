/// Backdoor detection on learned representations (one vector per row, e.g. a network's penultimate
/// layer), class by class:
///
/// - **Activation clustering** (Chen et al. 2018): the class's representations are centred and
///   reduced to their top `dimensions` principal components, then split by 2-means. A backdoor's
///   rows form a small cluster far from the rest; a clean class splits into two halves of one blob.
///   The class is suspicious when the smaller cluster holds at most `maxClusterFraction` of it (and
///   at least `minimumClusterRows`), the mean silhouette reaches `minimumSilhouette` and the
///   separation d′ of the two clusters reaches `minimumSeparation`.
/// - **Spectral signatures** (Tran et al. 2018): the score of a row is its squared projection on the
///   top singular direction of the centred class representations. With ε̂ the smaller cluster's
///   share, the top 1.5·ε̂ of the class by score are candidates; a candidate is kept when its robust
///   z along that direction (|p − median| / 1.4826·MAD) reaches `minimumSpectralZ`.
///
/// A row is flagged when its class is suspicious, it is in the smaller cluster and spectral
/// signatures keep it. Thresholds are calibrated on clean data (docs/poisoning.md).
public struct BackdoorDetector: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var dimensions: Int
        public var minimumClassRows: Int
        public var minimumClusterRows: Int
        public var maxClusterFraction: Double
        public var minimumSilhouette: Double
        public var minimumSeparation: Double
        public var minimumSpectralZ: Double

        public init(
            dimensions: Int = 10, minimumClassRows: Int = 20, minimumClusterRows: Int = 3, maxClusterFraction: Double = 0.45,
            minimumSilhouette: Double = 0.45, minimumSeparation: Double = 7, minimumSpectralZ: Double = 3
        ) {
            self.dimensions = dimensions
            self.minimumClassRows = minimumClassRows
            self.minimumClusterRows = minimumClusterRows
            self.maxClusterFraction = maxClusterFraction
            self.minimumSilhouette = minimumSilhouette
            self.minimumSeparation = minimumSeparation
            self.minimumSpectralZ = minimumSpectralZ
        }
    }

    /// What the tests found in one class.
    public struct ClassResult: Sendable, Equatable {
        public var label: Int
        public var rows: Int
        public var smallCluster: Int
        public var silhouette: Double
        public var separation: Double
        /// The top singular value's share of the class's representation variance.
        public var spectralShare: Double
        public var suspicious: Bool
        /// How many rows of a suspicious class spectral signatures keep (in or out of the cluster).
        public var spectralFlagged: Int
        /// The rows of the class flagged as backdoor, ascending.
        public var flagged: [Int]
    }

    public let classes: [ClassResult]
    /// Per row: the spectral-signature score (squared projection), `nil` for rows of skipped classes.
    public let spectralScores: [Double?]
    /// Per row: its robust z along its class's top singular direction.
    public let spectralZ: [Double?]
    /// The flagged rows of every class, ascending.
    public var flagged: [Int] { classes.flatMap(\.flagged).sorted() }

    /// - Parameters:
    ///   - representations: row-major `labels.count × width`.
    public init(representations: [Float], width: Int, labels: [Int], classCount: Int, seed: UInt64, configuration c: Configuration = Configuration()) {
        var results: [ClassResult] = []
        var scores = [Double?](repeating: nil, count: labels.count)
        var zs = [Double?](repeating: nil, count: labels.count)
        for label in 0..<classCount {
            let rows = labels.indices.filter { labels[$0] == label }
            guard rows.count >= c.minimumClassRows, width >= 1 else { continue }
            let pca = PrincipalComponents(values: representations, width: width, rows: rows, count: Swift.min(c.dimensions, width))
            guard let top = pca.variances.first, top > 0 else { continue }
            let dims = pca.directions.count
            var reduced = [Double](repeating: 0, count: rows.count * dims)
            for (i, row) in rows.enumerated() {
                let p = pca.project(representations, row: row)
                for d in 0..<dims { reduced[i * dims + d] = p[d] }
            }
            let along = (0..<rows.count).map { reduced[$0 * dims] }
            let median = Distributions.median(along)
            let mad = 1.482602218505602 * Distributions.median(along.map { abs($0 - median) })
            let scale = mad > 0 ? mad : (pca.variances[0].squareRoot() > 0 ? pca.variances[0].squareRoot() : 1)
            for (i, row) in rows.enumerated() {
                scores[row] = along[i] * along[i]
                zs[row] = abs(along[i] - median) / scale
            }
            var totalVariance = 0.0
            for row in rows {
                for col in 0..<width {
                    let delta = Double(representations[row * width + col]) - pca.mean[col]
                    totalVariance += delta * delta
                }
            }
            totalVariance /= Double(rows.count)

            let clustering = TwoMeansClustering(points: reduced, count: rows.count, dimensions: dims, seed: seed &+ UInt64(label))
            let small = clustering.sizes[1]
            let suspicious = small >= c.minimumClusterRows && Double(small) <= c.maxClusterFraction * Double(rows.count)
                && clustering.silhouette >= c.minimumSilhouette && clustering.separation >= c.minimumSeparation
            var flagged: [Int] = []
            var spectralFlagged = 0
            if suspicious {
                let tail = Swift.min(rows.count, Int((1.5 * Double(small)).rounded(.up)))
                let kept = Set(rows.indices.sorted { scores[rows[$0]]! > scores[rows[$1]]! }.prefix(tail).filter { zs[rows[$0]]! >= c.minimumSpectralZ })
                spectralFlagged = kept.count
                flagged = rows.indices.filter { clustering.assignment[$0] == 1 && kept.contains($0) }.map { rows[$0] }
            }
            results.append(ClassResult(
                label: label, rows: rows.count, smallCluster: small, silhouette: clustering.silhouette, separation: clustering.separation,
                spectralShare: totalVariance > 0 ? top / totalVariance : 0, suspicious: suspicious, spectralFlagged: spectralFlagged, flagged: flagged))
        }
        classes = results
        spectralScores = scores
        spectralZ = zs
    }
}
