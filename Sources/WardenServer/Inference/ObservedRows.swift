import WardenGuard

/// One request's rows as the detectors see them, worked out once and shared by extraction
/// detection and adversarial screening: each row's features and class scores, the model's
/// adversarial detector (calibrated on its reference data) and each row's Mahalanobis score
/// against that reference (which both use).
struct ObservedRows {
    /// The first input, split into rows.
    let features: [[Float]]
    /// The class scores (the first floating-point output), split into rows.
    let scores: [[Float]]
    /// The model's adversarial detector: nil without adversarial screening, `.success(nil)` for a
    /// model without reference data, a failure when the reference data does not fit the model.
    let detector: Result<AdversarialDetector?, any Error>?
    /// Each row's Mahalanobis score (nil: no reference data).
    let mahalanobis: [Double]?

    /// Nil when the request has no input or no class-score output the detectors can use.
    init?(inputs: [InferenceTensor], outputs: [InferenceTensor], rows: Int, model: ServedModel, adversarial: AdversarialGuard?) async {
        guard let input = inputs.first, let scores = InferenceAPI.scoreTensor(outputs, rows: rows) else { return nil }
        let features = input.rows(rows)
        self.features = features
        self.scores = scores.rows(rows)
        guard features.count == self.scores.count else { return nil }
        var detector: Result<AdversarialDetector?, any Error>?
        if let adversarial {
            do {
                detector = .success(try await adversarial.detector(for: model))
            } catch {
                detector = .failure(error)
            }
        }
        self.detector = detector
        mahalanobis = (try? detector?.get())?.mahalanobis.map { scorer in features.map(scorer.score) }
    }

    /// The reference scorer (nil: no reference data, or it does not fit the model).
    var reference: MahalanobisScorer? { (try? detector?.get())?.mahalanobis }
}
