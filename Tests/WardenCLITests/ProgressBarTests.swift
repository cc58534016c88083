import Testing

@testable import WardenCLI

@Suite struct ProgressBarTests {
    @Test(arguments: [
        (Int64(12), Int64(50), ProgressBar.Unit.items("rows"), "12 / 50 rows"),
        (Int64(512), Int64(1536), ProgressBar.Unit.bytes, "512 B / 1.5 KiB"),
        (Int64(3 << 20), Int64(6 << 20), ProgressBar.Unit.bytes, "3.0 MiB / 6.0 MiB"),
    ])
    func countsAreShownInTheBarsUnit(done: Int64, total: Int64, unit: ProgressBar.Unit, expected: String) {
        #expect(ProgressBar.counts(done: done, total: total, unit: unit) == expected)
    }
}
