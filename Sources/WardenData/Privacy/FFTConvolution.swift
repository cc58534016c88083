import Foundation

/// Linear convolution of non-negative sequences by radix-2 FFT, for composing privacy loss
/// distributions. Results are clamped at 0 (FFT rounding leaves ±1e-16·max noise).
enum FFTConvolution {
    /// `a ⊛ b` (length a.count + b.count − 1). Small inputs are convolved directly.
    static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        let count = a.count + b.count - 1
        if min(a.count, b.count) <= 32 { return direct(a, b) }
        var n = 1
        while n < count { n <<= 1 }
        var re = [Double](repeating: 0, count: n)
        var im = [Double](repeating: 0, count: n)
        // Pack a in the real part and b in the imaginary part: one forward transform for both.
        for i in 0..<a.count { re[i] = a[i] }
        for i in 0..<b.count { im[i] = b[i] }
        transform(&re, &im, inverse: false)
        // A[k] = (Z[k] + conj Z[n−k])/2, B[k] = (Z[k] − conj Z[n−k])/(2i); product A·B.
        var pr = [Double](repeating: 0, count: n)
        var pi = [Double](repeating: 0, count: n)
        re.withUnsafeBufferPointer { re in
            im.withUnsafeBufferPointer { im in
                pr.withUnsafeMutableBufferPointer { pr in
                    pi.withUnsafeMutableBufferPointer { pi in
                        for k in 0..<n {
                            let j = (n - k) & (n - 1)
                            let ar = (re[k] + re[j]) / 2, ai = (im[k] - im[j]) / 2
                            let br = (im[k] + im[j]) / 2, bi = -(re[k] - re[j]) / 2
                            pr[k] = ar * br - ai * bi
                            pi[k] = ar * bi + ai * br
                        }
                    }
                }
            }
        }
        transform(&pr, &pi, inverse: true)
        var out = [Double](repeating: 0, count: count)
        let scale = 1 / Double(n)
        for i in 0..<count { out[i] = max(0, pr[i] * scale) }
        return out
    }

    static func direct(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: a.count + b.count - 1)
        for i in 0..<a.count where a[i] != 0 {
            for j in 0..<b.count { out[i + j] += a[i] * b[j] }
        }
        return out
    }

    /// In-place iterative Cooley–Tukey FFT (n a power of two); unscaled.
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        guard n > 1 else { return }
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                re.swapAt(i, j)
                im.swapAt(i, j)
            }
        }
        let sign: Double = inverse ? 1 : -1
        var length = 2
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in
                while length <= n {
                    let half = length / 2
                    let angle = sign * 2 * Double.pi / Double(length)
                    // Twiddles computed directly (not by recurrence) to keep the error at O(ε log n).
                    var wr = [Double](repeating: 0, count: half)
                    var wi = [Double](repeating: 0, count: half)
                    for k in 0..<half {
                        wr[k] = cos(angle * Double(k))
                        wi[k] = sin(angle * Double(k))
                    }
                    wr.withUnsafeBufferPointer { wr in
                        wi.withUnsafeBufferPointer { wi in
                            let r = r.baseAddress!, m = m.baseAddress!, wr = wr.baseAddress!, wi = wi.baseAddress!
                            var start = 0
                            while start < n {
                                var u = start, v = start + half, k = 0
                                while k < half {
                                    let tr = r[v] * wr[k] - m[v] * wi[k]
                                    let ti = r[v] * wi[k] + m[v] * wr[k]
                                    r[v] = r[u] - tr
                                    m[v] = m[u] - ti
                                    r[u] += tr
                                    m[u] += ti
                                    u += 1
                                    v += 1
                                    k += 1
                                }
                                start += length
                            }
                        }
                    }
                    length <<= 1
                }
            }
        }
    }
}
