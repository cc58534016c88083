/// BLAKE3 in its default hash mode with a 32-byte output, as the `blake3` Python package computes it.
///
/// A portable implementation of the specification: 1 KiB chunks of 64-byte blocks, a stack of
/// chaining values for the binary tree, and a final root compression. Streaming.
package struct BLAKE3: Sendable {
    static let iv = SIMD8<UInt32>(
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)
    /// Message word order for the 7 rounds (the permutation applied round after round).
    private static let schedule: [UInt8] = {
        let permutation: [UInt8] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]
        var order = Array(UInt8(0)..<16)
        var all = [UInt8]()
        for _ in 0..<7 {
            all += order
            order = permutation.map { order[Int($0)] }
        }
        return all
    }()

    private static let chunkStart: UInt32 = 1
    private static let chunkEnd: UInt32 = 2
    private static let parent: UInt32 = 4
    private static let root: UInt32 = 8
    static let blockSize = 64
    static let chunkSize = 1024
    package static let digestSize = 32

    // The chunk being filled.
    private var chunkCV = BLAKE3.iv
    private var chunkCounter: UInt64 = 0
    private var blocksCompressed = 0
    private var block = [UInt8](repeating: 0, count: BLAKE3.blockSize)
    private var blockCount = 0
    // Chaining values of completed subtrees, one per set bit of the completed-chunk count.
    private var stack: [SIMD8<UInt32>] = []

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        while remaining > 0 {
            if chunkLength == Self.chunkSize {
                finishChunk()
            }
            // A full block is compressed only when more input follows (the last block is flagged).
            if blockCount == Self.blockSize {
                compressBlock()
            }
            if blockCount == 0 && remaining > Self.blockSize && blocksCompressed < Self.chunkSize / Self.blockSize - 1 {
                // Fast path: whole blocks straight from the input, never the chunk's last block.
                chunkCV = Self.compress(
                    cv: chunkCV, block: base, counter: chunkCounter, length: UInt32(Self.blockSize),
                    flags: blocksCompressed == 0 ? Self.chunkStart : 0)
                blocksCompressed += 1
                base += Self.blockSize
                remaining -= Self.blockSize
                continue
            }
            let take = min(Self.blockSize - blockCount, remaining)
            block.withUnsafeMutableBytes { ($0.baseAddress! + blockCount).copyMemory(from: base, byteCount: take) }
            blockCount += take
            base += take
            remaining -= take
        }
    }

    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    package mutating func finalize() -> [UInt8] {
        // The output node: the current chunk's last block, then parents up the stack.
        for index in blockCount..<Self.blockSize { block[index] = 0 }
        var cv = chunkCV
        var words = block.withUnsafeBytes { Self.words($0.baseAddress!) }
        var counter = chunkCounter
        var length = UInt32(blockCount)
        var flags = Self.chunkEnd | (blocksCompressed == 0 ? Self.chunkStart : 0)
        for left in stack.reversed() {
            let right = Self.compress(cv: cv, words: words, counter: counter, length: length, flags: flags)
            words = SIMD16(lowHalf: left, highHalf: right)
            cv = Self.iv
            counter = 0
            length = UInt32(Self.blockSize)
            flags = Self.parent
        }
        let out = Self.compress(cv: cv, words: words, counter: counter, length: length, flags: flags | Self.root)
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.digestSize)
        for index in 0..<8 {
            let word = out[index]
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return bytes
    }

    private var chunkLength: Int { blocksCompressed * Self.blockSize + blockCount }

    private mutating func compressBlock() {
        let flags = blocksCompressed == 0 ? Self.chunkStart : 0
        chunkCV = block.withUnsafeBytes {
            Self.compress(cv: chunkCV, block: $0.baseAddress!, counter: chunkCounter, length: UInt32(Self.blockSize), flags: flags)
        }
        blocksCompressed += 1
        blockCount = 0
    }

    /// Closes a full chunk and merges completed subtrees (one merge per trailing zero bit).
    private mutating func finishChunk() {
        let words = block.withUnsafeBytes { Self.words($0.baseAddress!) }
        var cv = Self.compress(
            cv: chunkCV, words: words, counter: chunkCounter, length: UInt32(blockCount),
            flags: Self.chunkEnd | (blocksCompressed == 0 ? Self.chunkStart : 0))
        var total = chunkCounter + 1
        while total & 1 == 0 {
            let left = stack.removeLast()
            cv = Self.compress(cv: Self.iv, words: SIMD16(lowHalf: left, highHalf: cv), counter: 0, length: UInt32(Self.blockSize), flags: Self.parent)
            total >>= 1
        }
        stack.append(cv)
        chunkCounter += 1
        chunkCV = Self.iv
        blocksCompressed = 0
        blockCount = 0
    }

    /// A block's 16 little-endian message words.
    private static func words(_ block: UnsafeRawPointer) -> SIMD16<UInt32> {
        var words = SIMD16<UInt32>()
        for index in 0..<16 { words[index] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)) }
        return words
    }

    private static func compress(
        cv: SIMD8<UInt32>, words: SIMD16<UInt32>, counter: UInt64, length: UInt32, flags: UInt32
    ) -> SIMD8<UInt32> {
        var littleEndian = SIMD16<UInt32>()
        for index in 0..<16 { littleEndian[index] = words[index].littleEndian }
        return withUnsafeBytes(of: littleEndian) {
            compress(cv: cv, block: $0.baseAddress!, counter: counter, length: length, flags: flags)
        }
    }

    @inline(__always)
    private static func mix(
        _ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32
    ) {
        a = a &+ b &+ x
        d = (d ^ a).rotatedRight(16)
        c = c &+ d
        b = (b ^ c).rotatedRight(12)
        a = a &+ b &+ y
        d = (d ^ a).rotatedRight(8)
        c = c &+ d
        b = (b ^ c).rotatedRight(7)
    }

    /// The compression function; returns the 8-word chaining value.
    private static func compress(
        cv: SIMD8<UInt32>, block: UnsafeRawPointer, counter: UInt64, length: UInt32, flags: UInt32
    ) -> SIMD8<UInt32> {
        @inline(__always) func word(_ index: UInt8) -> UInt32 {
            UInt32(littleEndian: block.loadUnaligned(fromByteOffset: Int(index) &* 4, as: UInt32.self))
        }
        var v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7]
        var v8 = iv[0], v9 = iv[1], v10 = iv[2], v11 = iv[3]
        var v12 = UInt32(truncatingIfNeeded: counter), v13 = UInt32(truncatingIfNeeded: counter >> 32)
        var v14 = length, v15 = flags
        schedule.withUnsafeBufferPointer { schedule in
            for round in 0..<7 {
                let s = schedule.baseAddress! + round * 16
                mix(&v0, &v4, &v8, &v12, word(s[0]), word(s[1]))
                mix(&v1, &v5, &v9, &v13, word(s[2]), word(s[3]))
                mix(&v2, &v6, &v10, &v14, word(s[4]), word(s[5]))
                mix(&v3, &v7, &v11, &v15, word(s[6]), word(s[7]))
                mix(&v0, &v5, &v10, &v15, word(s[8]), word(s[9]))
                mix(&v1, &v6, &v11, &v12, word(s[10]), word(s[11]))
                mix(&v2, &v7, &v8, &v13, word(s[12]), word(s[13]))
                mix(&v3, &v4, &v9, &v14, word(s[14]), word(s[15]))
            }
        }
        return SIMD8(v0 ^ v8, v1 ^ v9, v2 ^ v10, v3 ^ v11, v4 ^ v12, v5 ^ v13, v6 ^ v14, v7 ^ v15)
    }
}
