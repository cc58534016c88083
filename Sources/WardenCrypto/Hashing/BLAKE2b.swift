/// BLAKE2b (RFC 7693) with a 64-byte digest and no key, as Python's `hashlib.blake2b()` computes it.
///
/// Streaming: `update` any number of times, then `finalize` once. The last block is held back
/// until `finalize` because BLAKE2 flags the final compression.
package struct BLAKE2b: Sendable {
    private static let iv: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179
    )

    /// Message word order for each of the 12 rounds (rounds 10 and 11 repeat 0 and 1).
    private static let sigma: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    ]

    static let blockSize = 128
    package static let digestSize = 64

    private var h: [UInt64]
    private var buffer: [UInt8]
    private var bufferCount = 0
    private var byteCount: UInt64 = 0  // bytes compressed so far (< 2^64 is enough for files)

    package init() {
        let iv = Self.iv
        h = [iv.0, iv.1, iv.2, iv.3, iv.4, iv.5, iv.6, iv.7]
        h[0] ^= 0x0101_0000 ^ UInt64(Self.digestSize)
        buffer = [UInt8](repeating: 0, count: Self.blockSize)
    }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        // Top up a partial buffer first; compress it only once more input is known to follow.
        if bufferCount > 0 || remaining <= Self.blockSize {
            let take = min(Self.blockSize - bufferCount, remaining)
            buffer.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + bufferCount).copyMemory(from: base, byteCount: take)
            }
            bufferCount += take
            base += take
            remaining -= take
            if remaining == 0 { return }
            byteCount &+= UInt64(Self.blockSize)
            buffer.withUnsafeBytes { compress(block: $0.baseAddress!, final: false) }
            bufferCount = 0
        }
        // Whole blocks straight from the input, keeping at least one byte for the buffer.
        while remaining > Self.blockSize {
            byteCount &+= UInt64(Self.blockSize)
            compress(block: base, final: false)
            base += Self.blockSize
            remaining -= Self.blockSize
        }
        buffer.withUnsafeMutableBytes { dst in
            dst.baseAddress!.copyMemory(from: base, byteCount: remaining)
        }
        bufferCount = remaining
    }

    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    package mutating func finalize() -> [UInt8] {
        byteCount &+= UInt64(bufferCount)
        for index in bufferCount..<Self.blockSize { buffer[index] = 0 }
        buffer.withUnsafeBytes { compress(block: $0.baseAddress!, final: true) }
        var out = [UInt8]()
        out.reserveCapacity(Self.digestSize)
        for word in h {
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    @inline(__always)
    private static func mix(
        _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ x: UInt64, _ y: UInt64
    ) {
        a = a &+ b &+ x
        d = (d ^ a).rotatedRight(32)
        c = c &+ d
        b = (b ^ c).rotatedRight(24)
        a = a &+ b &+ y
        d = (d ^ a).rotatedRight(16)
        c = c &+ d
        b = (b ^ c).rotatedRight(63)
    }

    private mutating func compress(block: UnsafeRawPointer, final: Bool) {
        var m = (
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
            UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0)
        )
        withUnsafeMutableBytes(of: &m) { words in
            words.copyMemory(from: UnsafeRawBufferPointer(start: block, count: Self.blockSize))
        }
        let iv = Self.iv
        let counter = byteCount
        h.withUnsafeMutableBufferPointer { h in
            withUnsafeBytes(of: &m) { raw in
                let w = raw.bindMemory(to: UInt64.self)
                @inline(__always) func word(_ index: UInt8) -> UInt64 { UInt64(littleEndian: w[Int(index)]) }
                var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
                var v8 = iv.0, v9 = iv.1, v10 = iv.2, v11 = iv.3
                var v12 = iv.4 ^ counter, v13 = iv.5, v14 = final ? ~iv.6 : iv.6, v15 = iv.7
                Self.sigma.withUnsafeBufferPointer { sigma in
                    for round in 0..<12 {
                        let s = sigma.baseAddress! + round * 16
                        Self.mix(&v0, &v4, &v8, &v12, word(s[0]), word(s[1]))
                        Self.mix(&v1, &v5, &v9, &v13, word(s[2]), word(s[3]))
                        Self.mix(&v2, &v6, &v10, &v14, word(s[4]), word(s[5]))
                        Self.mix(&v3, &v7, &v11, &v15, word(s[6]), word(s[7]))
                        Self.mix(&v0, &v5, &v10, &v15, word(s[8]), word(s[9]))
                        Self.mix(&v1, &v6, &v11, &v12, word(s[10]), word(s[11]))
                        Self.mix(&v2, &v7, &v8, &v13, word(s[12]), word(s[13]))
                        Self.mix(&v3, &v4, &v9, &v14, word(s[14]), word(s[15]))
                    }
                }
                h[0] ^= v0 ^ v8
                h[1] ^= v1 ^ v9
                h[2] ^= v2 ^ v10
                h[3] ^= v3 ^ v11
                h[4] ^= v4 ^ v12
                h[5] ^= v5 ^ v13
                h[6] ^= v6 ^ v14
                h[7] ^= v7 ^ v15
            }
        }
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    @inline(__always)
    func rotatedRight(_ count: Self) -> Self {
        (self >> count) | (self << (Self(Self.bitWidth) &- count))
    }
}
