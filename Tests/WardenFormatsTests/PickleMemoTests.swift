import Testing
import WardenTesting

@testable import WardenFormats

/// `PickleMemo` must behave exactly like the dictionary it replaces (Python's memo dict), whatever
/// the keys: dense runs, gaps, negative and huge keys, keys that move from the dictionary into the
/// array when it grows, overwrites.
struct PickleMemoTests {
    @Test(arguments: [
        (UInt64(1), Int64(40)),  // small dense keys
        (2, 3_000),  // gaps around the 1 024 growth window
        (3, 1 << 17),  // past the dense limit
        (4, 1 << 40),  // huge keys
    ])
    func behavesLikeADictionary(seed: UInt64, keyRange: Int64) {
        var random = SeededGenerator(seed: seed)
        var memo = PickleMemo()
        var reference: [Int64: Int64] = [:]
        for step in 0..<4_000 {
            let key: Int64
            switch Int.random(in: 0..<4, using: &random) {
            case 0: key = Int64(memo.count)  // MEMOIZE
            case 1: key = -Int64.random(in: 0...keyRange, using: &random)
            default: key = Int64.random(in: 0...keyRange, using: &random)
            }
            if Bool.random(using: &random) {
                memo.store(.int(Int64(step)), at: key)
                reference[key] = Int64(step)
            }
            #expect(memo[key]?.intValue == reference[key])
            #expect(memo.count == reference.count)
        }
        for key in reference.keys { #expect(memo[key]?.intValue == reference[key]) }
    }

    @Test func aKeyStoredSparselyMovesIntoTheArrayOnce() {
        var memo = PickleMemo()
        memo.store(.int(1), at: 2_000)  // too far past the empty array: the dictionary
        for key in Int64(0)..<2_000 { memo.store(.int(0), at: key) }  // the array grows to it
        memo.store(.int(2), at: 2_000)
        #expect(memo.count == 2_001)
        #expect(memo[2_000]?.intValue == 2)
    }
}
