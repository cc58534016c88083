import WardenCore

/// Losses: scalar variables to minimise.
extension Variable {
    /// Mean cross-entropy between `[N, classes]` logits and integer class labels `[N]`, computed from
    /// log-softmax (stable for any logits).
    /// - Throws: `.invalidInput` for a shape mismatch or a label outside `0..<classes`.
    public func softmaxCrossEntropy(labels: Tensor<Int64>) throws -> Variable {
        guard value.rank == 2, labels.shape == [value.shape[0]] else {
            throw WardenError.invalidInput("Cross-entropy needs [N, classes] logits and [N] labels, got \(shape) and \(labels.shape)")
        }
        let (n, classes) = (value.shape[0], value.shape[1])
        let picks = labels.scalars
        if let bad = picks.first(where: { $0 < 0 || $0 >= classes }) {
            throw WardenError.invalidInput("Label \(bad) is outside 0..<\(classes)")
        }
        let logProbabilities = try value.logSoftmax(axis: 1)
        var total: Float = 0
        for (row, label) in picks.enumerated() { total -= logProbabilities.pointer[row * classes + Int(label)] }
        let loss = Tensor<Float>(n > 0 ? total / Float(n) : 0)
        return Variable.record(loss, [self]) { g in
            // d/dlogits = (softmax − onehot) / N
            let scale = (g.scalar ?? 0) / Float(Swift.max(n, 1))
            let gradient = logProbabilities.exp()
            for (row, label) in picks.enumerated() { gradient.pointer[row * classes + Int(label)] -= 1 }
            return [gradient * scale]
        }
    }

    /// Weighted cross-entropy between `[N, classes]` logits divided by `temperature` and probability
    /// targets `[N, classes]`: `Σᵢ wᵢ · (−Σₖ tᵢₖ log softmax(zᵢ/T)ₖ) / Σᵢ wᵢ` (zero when every weight is
    /// zero). With one-hot targets, unit weights and T = 1 it equals ``softmaxCrossEntropy(labels:)``.
    /// - Throws: `.invalidInput` for a shape mismatch, a negative or non-finite weight or temperature.
    public func softmaxCrossEntropy(targets: Tensor<Float>, weights: [Float], temperature: Float = 1) throws -> Variable {
        guard value.rank == 2, targets.shape == value.shape, weights.count == value.shape[0] else {
            throw WardenError.invalidInput("Cross-entropy needs [N, classes] logits, targets of the same shape and N weights, got \(shape), \(targets.shape) and \(weights.count)")
        }
        guard temperature.isFinite, temperature > 0, weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw WardenError.invalidInput("Cross-entropy needs a positive temperature and non-negative weights")
        }
        let (n, classes) = (value.shape[0], value.shape[1])
        let targetValues = targets.contiguous()
        let (rowLosses, logProbabilities) = try value.softmaxCrossEntropyRows(targets: targetValues, temperature: temperature)
        let totalWeight = weights.reduce(0, +)
        var total: Float = 0
        for row in 0..<n where weights[row] > 0 { total += weights[row] * rowLosses[row] }
        let loss = Tensor<Float>(totalWeight > 0 ? total / totalWeight : 0)
        return Variable.record(loss, [self]) { g in
            // d/dzᵢ = wᵢ (softmax(zᵢ/T) − tᵢ Σₖtᵢₖ) / (T Σw); targets sum to one per row.
            let gradient = logProbabilities.exp()
            let scale = totalWeight > 0 ? (g.scalar ?? 0) / (totalWeight * temperature) : 0
            for row in 0..<n {
                var mass: Float = 0
                for k in 0..<classes { mass += targetValues.pointer[row * classes + k] }
                for k in 0..<classes {
                    let i = row * classes + k
                    gradient.pointer[i] = weights[row] * scale * (mass * gradient.pointer[i] - targetValues.pointer[i])
                }
            }
            return [gradient]
        }
    }

    /// Mean squared error against targets of the same shape.
    /// - Throws: `.invalidInput` for a shape mismatch.
    public func meanSquaredError(targets: Tensor<Float>) throws -> Variable {
        guard targets.shape == shape else {
            throw WardenError.invalidInput("MSE needs targets of shape \(shape), got \(targets.shape)")
        }
        let difference = try self - Variable(targets)
        return try difference.squared().mean()
    }
}

extension Tensor<Float> {
    /// Each row's cross-entropy between `[N, classes]` logits divided by `temperature` and probability
    /// targets of the same shape (no gradient; for per-example weighting such as trimmed losses).
    /// - Throws: `.invalidInput` for a shape mismatch or a temperature that is not positive.
    public func softmaxCrossEntropyPerRow(targets: Tensor<Float>, temperature: Float = 1) throws -> [Float] {
        guard rank == 2, targets.shape == shape, temperature.isFinite, temperature > 0 else {
            throw WardenError.invalidInput("Per-row cross-entropy needs [N, classes] logits, targets of the same shape and a positive temperature, got \(shape), \(targets.shape), T = \(temperature)")
        }
        return try softmaxCrossEntropyRows(targets: targets.contiguous(), temperature: temperature).losses
    }

    /// The per-row losses and the log-probabilities they came from (`targets` contiguous).
    func softmaxCrossEntropyRows(targets: Tensor<Float>, temperature: Float) throws -> (losses: [Float], logProbabilities: Tensor<Float>) {
        let (n, classes) = (shape[0], shape[1])
        let logProbabilities = try (temperature == 1 ? self : self * (1 / temperature)).logSoftmax(axis: 1)
        var losses = [Float](repeating: 0, count: n)
        for row in 0..<n {
            var total: Float = 0
            for k in 0..<classes { total -= targets.pointer[row * classes + k] * logProbabilities.pointer[row * classes + k] }
            losses[row] = total
        }
        return (losses, logProbabilities)
    }
}
