import Foundation
import Testing
import WardenAnalysis
import WardenCore
import WardenTesting

@testable import WardenCLI

/// `warden data scan` through the real argument parsing, files and exit codes.
struct DataScanCommandTests {
    @Test func flagsPlantedFlipsWritesIndicesAndExitsOne() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let planter = PoisonPlanter(classes: 3, width: 5)
        let clean = planter.clean(rows: 200, seed: 3)
        let poisoned = planter.plant(.randomFlips, fraction: 0.05, in: clean, seed: 3)
        let data = try folder.write("p.csv", poisoned.csv())
        let cleanData = try folder.write("c.csv", clean.csv())
        let flagged = folder.url("flagged.txt"), html = folder.url("scan.html")
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--flagged-out", flagged, "--html", html, "--json"]) == 1)
        let lines = String(decoding: try FileIO.readAll(flagged), as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
        #expect(lines == lines.sorted())
        #expect(Set(lines).intersection(poisoned.poisoned).count >= 8)
        let page = String(decoding: try FileIO.readAll(html), as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg") && !page.contains("<script"))
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--exit-zero"]) == 0)
        #expect(await Warden.runMain(arguments: ["data", "scan", cleanData, "--label", "label"]) == 0)
    }

    @Test func badInputExitsTwo() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ragged = try folder.write("r.csv", "a,b,label\n1,2,0\n3\n")
        let one = try folder.write("o.csv", "a,label\n" + (0..<20).map { "\($0),x\n" }.joined())
        #expect(await Warden.runMain(arguments: ["data", "scan", ragged, "--label", "label"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", one, "--label", "label"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", ragged, "--label", "nope"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", folder.url("missing.csv"), "--label", "label"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", one, "--label", "label", "--model", "rf"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", one, "--label", "label", "--max-flagged-fraction", "2"]) == 2)
    }
}
