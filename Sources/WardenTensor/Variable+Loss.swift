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
