import Foundation
import Testing
import WardenAnalysis

@testable import WardenGuard

/// Shapiro–Wilk W and p against scipy 1.17.1's `scipy.stats.shapiro` on fixed samples (reference
/// values computed with the script in the comment of each case), and the undefined cases.
struct ShapiroWilkTests {
    /// x ← (1103515245·x + 12345) mod 2³¹ from 12345, divided by 2³¹ (the same in Python).
    static func lcg(_ count: Int) -> [Double] {
        var x: UInt64 = 12345
        return (0..<count).map { _ in
            x = (1_103_515_245 * x + 12345) % (1 << 31)
            return Double(x) / Double(1 << 31)
        }
    }

    // Python: stats.shapiro(v) for the same v; see each case.
    static let cases: [(name: String, sample: [Double], w: Double, p: Double)] = [
        ("three", [1, 2, 4], 0.9642857142857142, 0.6368868450289689),
        ("five", [2.1, 3.7, 1.2, 9.9, 4.4], 0.8698729584550637, 0.2659097340087536),
        ("eleven", [148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236], 0.7888146948631716, 0.006703814061898823),
        // [((i*37) % 20)/19 for i in range(20)]
        ("uniform20", (0..<20).map { Double(($0 * 37) % 20) / 19 }, 0.9603751832429884, 0.5513717457916771),
        ("lcg100", lcg(100), 0.957791477901758, 0.0028070538068126396),
        // [-log(1 - (i+0.5)/50) for i in range(50)]
        ("exp50", (0..<50).map { -log(1 - (Double($0) + 0.5) / 50) }, 0.8375865215648726, 7.255412098708938e-06),
        // [norm.ppf((i+0.5)/300) for i in range(300)]
        ("normal300", (0..<300).map { Distributions.normalQuantile((Double($0) + 0.5) / 300) }, 0.9998409084250274, 1.0),
    ]

    @Test(arguments: 0..<cases.count) func matchesScipy(_ index: Int) throws {
        let c = Self.cases[index]
        let result = try #require(ShapiroWilk.test(c.sample), "\(c.name)")
        #expect(abs(result.w - c.w) < 2e-6, "\(c.name): W \(result.w) vs scipy \(c.w)")
        #expect(abs(result.p - c.p) <= 1e-4 * max(c.p, 1e-3), "\(c.name): p \(result.p) vs scipy \(c.p)")
        // Order does not matter.
        #expect(ShapiroWilk.test(c.sample.reversed())?.w == result.w)
    }

    @Test func undefinedSamplesGiveNil() {
        #expect(ShapiroWilk.test([]) == nil)
        #expect(ShapiroWilk.test([1, 2]) == nil)
        #expect(ShapiroWilk.test([3, 3, 3, 3]) == nil)
        #expect(ShapiroWilk.test([1, .nan, 3]) == nil)
        #expect(ShapiroWilk.test([1, .infinity, 3]) == nil)
        #expect(ShapiroWilk.test([Double](repeating: 1, count: 5001)) == nil)
    }

    @Test func wSeparatesNormalFromSkewed() throws {
        let normal = try #require(ShapiroWilk.test((0..<200).map { Distributions.normalQuantile((Double($0) + 0.5) / 200) }))
        let skewed = try #require(ShapiroWilk.test((0..<200).map { pow(Double($0) / 200, 6) }))
        #expect(normal.w > 0.99 && normal.p > 0.5)
        #expect(skewed.w < 0.8 && skewed.p < 1e-6)
    }
}
