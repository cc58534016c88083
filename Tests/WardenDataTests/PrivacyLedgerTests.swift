import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

/// The privacy budget ledger: composition, refusal beyond the budget, atomic persistence.
struct PrivacyLedgerTests {
    func entry(_ epsilon: Double, _ delta: Double = 0) -> PrivacyLedger.Entry {
        .init(time: "2026-11-24T00:00:00Z", actor: "test", dataset: "sha256:00", column: "x", statistic: "count",
              epsilon: epsilon, delta: delta, mechanism: delta > 0 ? "gaussian" : "laplace")
    }

    @Test func refusesWhatWouldExceedTheBudget() {
        var ledger = PrivacyLedger(budget: .init(epsilon: 1, delta: 1e-6))
        #expect(ledger.refusal(epsilon: 0.5, delta: 0) == nil)
        ledger.entries.append(entry(0.5))
        ledger.entries.append(entry(0.3, 5e-7))
        #expect(abs(ledger.spentEpsilon - 0.8) < 1e-12)
        #expect(ledger.refusal(epsilon: 0.2, delta: 0) == nil)  // exactly at the budget is allowed
        #expect(ledger.refusal(epsilon: 0.21, delta: 0) != nil)
        #expect(ledger.refusal(epsilon: 0.1, delta: 6e-7) != nil)
        #expect(PrivacyLedger().refusal(epsilon: 100, delta: 0.5) == nil)  // no budget: records only
    }

    @Test func savesAndLoadsAtomically() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url("d.csv.dp-ledger.json")
        #expect(try PrivacyLedger.load(path) == PrivacyLedger())
        var ledger = PrivacyLedger(budget: .init(epsilon: 2, delta: 0))
        ledger.entries.append(entry(0.25))
        try PrivacyLedger.withLock(path) { try ledger.save(path) }
        #expect(try PrivacyLedger.load(path) == ledger)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["d.csv.dp-ledger.json"])
        _ = try folder.write("bad.json", "{\"version\": 1, \"entries\": 3}")
        #expect(throws: WardenError.invalidInput("")) { try PrivacyLedger.load(folder.url("bad.json")) }
    }
}
