/// The per-element parameter updates of the optimisers, in place on their state.
package enum OptimizerKernels {
    /// SGD with (optionally Nesterov) momentum and L2 weight decay, PyTorch's formulation:
    /// `g += wd·p; v = μ·v + g; p -= lr·(nesterov ? g + μ·v : v)`.
    package static func sgd(
        count: Int, parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        velocity v: UnsafeMutablePointer<Float>?, learningRate lr: Float, momentum mu: Float, weightDecay wd: Float,
        nesterov: Bool
    ) {
        for i in 0..<count {
            var grad = g[i] + wd * p[i]
            if let v {
                v[i] = mu * v[i] + grad
                grad = nesterov ? grad + mu * v[i] : v[i]
            }
            p[i] -= lr * grad
        }
    }

    /// Adam (or AdamW when `decoupled`) with bias correction folded into the step size.
    package static func adam(
        count: Int, parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        first m: UnsafeMutablePointer<Float>, second v: UnsafeMutablePointer<Float>, learningRate lr: Float, beta1: Float,
        beta2: Float, epsilon: Float, weightDecay wd: Float, decoupled: Bool, correction1: Float, correction2: Float
    ) {
        for i in 0..<count {
            var grad = g[i]
            if decoupled {
                p[i] -= lr * wd * p[i]
            } else {
                grad += wd * p[i]
            }
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            p[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
        }
    }
}
