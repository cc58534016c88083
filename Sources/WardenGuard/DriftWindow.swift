import Synchronization
import WardenAnalysis

/// Windowed drift of a served model's inputs and predictions against its training reference:
/// the last `window` rows are kept (a ring buffer), and every `every` rows from a full window on,
/// each feature is compared with the reference by the two-sample Kolmogorov–Smirnov test
/// (Benjamini–Hochberg-adjusted over the features) and the PSI over the reference's deciles, and
/// the predicted classes by their PSI — the same statistics as `warden data drift`
/// (``DriftDetector``). A feature drifts when its adjusted p-value is below `alpha` and its PSI
/// is at least `psi`; the predictions drift when their PSI is at least `psi`. ``observe(_:predictions:)``
/// reports a new drift once, until an evaluation finds none again. Memory: window × features floats.
public final class DriftWindow: Sendable {
    public struct Policy: Sendable, Equatable {
        /// Rows compared with the reference.
        public var window: Int = 500
        /// Rows between two evaluations.
        public var every: Int = 100
        /// PSI at or above which a feature (or the predictions) drifts.
        public var psi: Double = 0.2
        /// Adjusted KS p-value below which a feature may drift.
        public var alpha: Double = 0.01
        public init() {}
    }

    /// One evaluation.
    public struct Status: Sendable, Equatable {
        /// Per feature: PSI, KS statistic, adjusted p-value.
        public var psi: [Double]
        public var ks: [Double]
        public var pValues: [Double]
        public var predictionPSI: Double
        /// Indices of the drifted features.
        public var drifted: [Int]
        public var predictionsDrifted: Bool
        /// True on the first evaluation that finds drift after one that did not.
        public var newlyDrifted: Bool
        public var isDrifted: Bool { !drifted.isEmpty || predictionsDrifted }
    }

    struct State {
        var rows: [Float]
        var predictions: [Int]
        var next = 0
        var filled = 0
        var sinceEvaluation = 0
        var drifted = false
        var last: Status?
    }

    public let policy: Policy
    public let width: Int
    /// Reference columns (one array per feature) and predicted classes.
    let reference: [[Double]]
    let referencePredictions: [String]
    private let state: Mutex<State>

    /// - Parameters:
    ///   - reference: the reference rows, row-major, `width` features each.
    ///   - predictions: the model's predicted class of each reference row.
    /// - Throws: `GuardError.invalidInput` for an empty reference or a bad policy.
    public init(policy: Policy, reference: [Float], width: Int, predictions: [Int]) throws(GuardError) {
        guard width > 0, reference.count >= width, reference.count % width == 0, predictions.count == reference.count / width else {
            throw GuardError(.invalidInput, "drift needs reference rows of \(width) features and one predicted class per row")
        }
        guard policy.window >= 10, policy.every >= 1, policy.psi > 0, policy.alpha > 0, policy.alpha < 1 else {
            throw GuardError(.invalidInput, "drift needs window ≥ 10, every ≥ 1, psi > 0 and alpha in (0, 1)")
        }
        self.policy = policy
        self.width = width
        let rows = reference.count / width
        self.reference = (0..<width).map { feature in (0..<rows).map { Double(reference[$0 * width + feature]) } }
        referencePredictions = predictions.map(String.init)
        state = Mutex(State(rows: [Float](repeating: 0, count: policy.window * width), predictions: [Int](repeating: 0, count: policy.window)))
    }

    /// Adds rows (`width` features each, row-major) and their predicted classes; the evaluation
    /// when one was due (nil otherwise).
    public func observe(_ rows: [Float], predictions: [Int]) -> Status? {
        let count = min(rows.count / width, predictions.count)
        guard count > 0 else { return nil }
        let snapshot: (rows: [Float], predictions: [Int])? = state.withLock { state in
            for row in 0..<count {
                let base = state.next * width
                for feature in 0..<width { state.rows[base + feature] = rows[row * width + feature] }
                state.predictions[state.next] = predictions[row]
                state.next = (state.next + 1) % policy.window
                state.filled = min(policy.window, state.filled + 1)
                state.sinceEvaluation += 1
            }
            guard state.filled == policy.window, state.sinceEvaluation >= policy.every else { return nil }
            state.sinceEvaluation = 0
            return (state.rows, state.predictions)
        }
        guard let snapshot else { return nil }
        var status = evaluate(snapshot.rows, snapshot.predictions)
        state.withLock { state in
            status.newlyDrifted = status.isDrifted && !state.drifted
            state.drifted = status.isDrifted
            state.last = status
        }
        return status
    }

    /// The latest evaluation (nil before the first).
    public var last: Status? { state.withLock { $0.last } }

    func evaluate(_ rows: [Float], _ predictions: [Int]) -> Status {
        let n = rows.count / width
        var psi: [Double] = [], ks: [Double] = [], p: [Double] = []
        for feature in 0..<width {
            let column = (0..<n).map { Double(rows[$0 * width + feature]) }
            let (d, pValue) = DriftDetector.kolmogorovSmirnov(reference[feature], column)
            ks.append(d)
            p.append(pValue)
            psi.append(DriftDetector.numericPSI(reference[feature], column))
        }
        let adjusted = DriftDetector.benjaminiHochberg(p)
        let drifted = (0..<width).filter { adjusted[$0] < policy.alpha && psi[$0] >= policy.psi }
        let predictionPSI = DriftDetector.categoricalPSI(referencePredictions, predictions.map(String.init))
        return Status(
            psi: psi, ks: ks, pValues: adjusted, predictionPSI: predictionPSI, drifted: drifted, predictionsDrifted: predictionPSI >= policy.psi,
            newlyDrifted: false)
    }
}
