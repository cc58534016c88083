import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

@testable import WardenCLI

/// `warden data dp-stats` and `dp-epsilon` through the real argument parsing and exit codes.
struct DataDPCommandTests {
    func run(_ arguments: [String]) async -> Int32 {
        await Warden.runMain(arguments: arguments)
    }

    @Test func ledgerRefusesQueriesBeyondTheBudget() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let data = try folder.write("d.csv", "age\n" + (0..<200).map { "\(20 + $0 % 50)" }.joined(separator: "\n") + "\n")
        let ledger = data + ".dp-ledger.json"
        #expect(await run(["data", "dp-stats", data, "--column", "age", "--stat", "mean", "--epsilon", "0.6", "--bounds", "0,100", "--budget-epsilon", "1", "--json"]) == 0)
        #expect(await run(["data", "dp-stats", data, "--column", "age", "--stat", "count", "--epsilon", "0.4", "--bounds", "0,1"]) == 0)
        let before = try String(contentsOfFile: ledger, encoding: .utf8)
        // Over budget: exit 1, nothing recorded.
        #expect(await run(["data", "dp-stats", data, "--column", "age", "--stat", "sum", "--epsilon", "0.1", "--bounds", "0,100"]) == 1)
        #expect(try String(contentsOfFile: ledger, encoding: .utf8) == before)
        let book = try PrivacyLedger.load(ledger)
        #expect(book.entries.count == 2)
        #expect(abs(book.spentEpsilon - 1) < 1e-12)
        #expect(book.entries.allSatisfy { $0.dataset.hasPrefix("sha256:") })
        // The budget cannot be changed from the command line.
        #expect(await run(["data", "dp-stats", data, "--column", "age", "--stat", "count", "--epsilon", "0.1", "--bounds", "0,1", "--budget-epsilon", "5"]) == 2)
    }

    @Test func histogramWithGaussianNoiseAndACustomLedger() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let data = try folder.write("d.jsonl", (0..<100).map { "{\"u\":{\"score\":\($0)}}" }.joined(separator: "\n"))
        let ledger = folder.url("book.json")
        #expect(await run(["data", "dp-stats", data, "--column", "u.score", "--stat", "histogram", "--bins", "4", "--epsilon", "1", "--delta", "1e-6", "--bounds", "0,100", "--ledger", ledger, "--json"]) == 0)
        #expect(try PrivacyLedger.load(ledger).entries.first?.mechanism == "gaussian")
        // The classic calibration on request, refused where it does not hold (ε ≥ 1 per mechanism).
        #expect(await run(["data", "dp-stats", data, "--column", "u.score", "--stat", "count", "--epsilon", "0.5", "--delta", "1e-6", "--bounds", "0,100", "--ledger", ledger, "--gaussian", "classic"]) == 0)
        #expect(try PrivacyLedger.load(ledger).entries.last?.mechanism == "gaussian-classic")
        #expect(await run(["data", "dp-stats", data, "--column", "u.score", "--stat", "mean", "--epsilon", "2", "--delta", "1e-6", "--bounds", "0,100", "--ledger", ledger, "--gaussian", "classic"]) == 2)
        #expect(try PrivacyLedger.load(ledger).entries.count == 2)
    }

    @Test func badUsageExitsTwo() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let data = try folder.write("d.csv", "x\n1\n")
        #expect(await run(["data", "dp-stats", data, "--column", "x", "--stat", "mean", "--epsilon", "1", "--bounds", "5,1"]) == 2)
        #expect(await run(["data", "dp-stats", data, "--column", "nope", "--stat", "mean", "--epsilon", "1", "--bounds", "0,1"]) == 2)
        #expect(await run(["data", "dp-stats", data, "--column", "x", "--stat", "median", "--epsilon", "1", "--bounds", "0,1"]) == 2)
        #expect(await run(["data", "dp-stats", folder.url("none.csv"), "--column", "x", "--stat", "count", "--epsilon", "1", "--bounds", "0,1"]) == 2)
        #expect(FileIO.kind(of: folder.url("none.csv.dp-ledger.json")) == .missing)
        #expect(await run(["data", "dp-epsilon", "--sampling-rate", "2", "--noise-multiplier", "1", "--steps", "10", "--delta", "1e-5"]) == 2)
        #expect(await run(["data", "dp-epsilon", "--sampling-rate", "0.1"]) == 2)
    }

    @Test func dpEpsilonSingleAndGrid() async throws {
        #expect(await run(["data", "dp-epsilon", "--sampling-rate", "0.01", "--noise-multiplier", "1.1", "--steps", "10000", "--delta", "1e-5", "--json"]) == 0)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let grid = try folder.write("g.json", #"[{"sampling_rate":0.01,"noise_multiplier":1.1,"steps":100,"delta":1e-5}]"#)
        #expect(await run(["data", "dp-epsilon", "--grid", grid, "--json"]) == 0)
    }
}
