import WardenGuard

extension InferenceAPI {
    /// The outputs with the model's output hardening applied to its class-score tensor (the first
    /// floating-point output with one row of at least two scores per input row); unchanged when
    /// the model has no hardening configured.
    func hardened(_ outputs: [InferenceTensor], rows: Int, model: String) -> [InferenceTensor] {
        guard let hardening = configuration.hardening[model], hardening.isActive, let scores = Self.scoreTensor(outputs, rows: rows),
            let index = outputs.firstIndex(where: { $0.name == scores.name })
        else { return outputs }
        var random = SystemRandomNumberGenerator()
        var result = outputs
        result[index].values = .float(scores.rows(rows).flatMap { hardening.apply($0, using: &random) })
        return result
    }
}
