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
        // NaN and text features, a missing label, more folds than rows or fewer than two: exit 2.
        let twoClasses = (0..<20).map { "\($0),\($0 % 3),\($0 % 2)\n" }.joined()
        let nan = try folder.write("n.csv", "a,b,label\n" + twoClasses + "nan,1,0\n")
        let text = try folder.write("t.csv", "a,b,label\n" + twoClasses + "red,1,0\n")
        let unlabelled = try folder.write("u.csv", "a,b,label\n" + twoClasses + "1,1,\n")
        let small = try folder.write("s.csv", "a,b,label\n" + twoClasses)
        for path in [nan, text, unlabelled] {
            #expect(await Warden.runMain(arguments: ["data", "scan", path, "--label", "label", "--no-backdoor"]) == 2, "\(path)")
        }
        #expect(await Warden.runMain(arguments: ["data", "scan", small, "--label", "label", "--no-backdoor", "--folds", "21"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", small, "--label", "label", "--no-backdoor", "--folds", "1"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", small, "--label", "label", "--no-backdoor", "--exit-zero"]) == 0)
    }

    @Test func scoresOutHasEveryRow() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let planter = PoisonPlanter(classes: 2, width: 4)
        let sample = planter.plant(.outliers, fraction: 0.02, in: planter.clean(rows: 150, seed: 6), seed: 6)
        let data = try folder.write("p.csv", sample.csv())
        let scores = folder.url("scores.csv")
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--no-backdoor", "--exit-zero", "--scores-out", scores]) == 0)
        let lines = String(decoding: try FileIO.readAll(scores), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == sample.rows + 1)
        #expect(lines.first?.hasPrefix("row,label,predicted,self_confidence,knn_disagreement,confident_learning,robust_z,mahalanobis,isolation") == true)
        for planted in sample.poisoned { #expect(lines[planted + 1].hasSuffix("outlier") || lines[planted + 1].contains("outlier;") || lines[planted + 1].contains(";outlier"), "\(lines[planted + 1])") }
    }

    @Test func backdoorTriggerIsDrawnInTheHTMLReport() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let planter = PoisonPlanter(classes: 4, width: 36, separation: 1, triggerFeatures: PoisonPlanter.patch(top: 4, left: 4, size: 2, imageWidth: 6))
        let data = try folder.write("images.csv", planter.plant(.backdoor, fraction: 0.05, in: planter.clean(rows: 400, seed: 3), seed: 3).csv())
        let html = folder.url("scan.html")
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--image", "1x6x6", "--seed", "3", "--html", html, "--exit-zero"]) == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("Suspected trigger, class 3"))
        #expect(page.contains("<rect x=\"\(4 * 32)\" y=\"\(4 * 32)\" width=\"64\" height=\"64\" fill=\"none\""), "the box outlines the 2×2 patch")
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--image", "1x5x5"]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "scan", data, "--label", "label", "--image", "six"]) == 2)
    }
}

/// `warden data drift` through the real argument parsing, files and exit codes.
struct DataDriftCommandTests {
    @Test func exitCodes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let planter = PoisonPlanter(classes: 2, width: 3)
        let old = try folder.write("old.csv", planter.clean(rows: 200, seed: 1).csv())
        let same = try folder.write("same.csv", planter.clean(rows: 200, seed: 1).csv())
        var moved = planter.clean(rows: 200, seed: 1)
        for row in 0..<moved.rows { moved.features[row * 3] += 2 }
        let shifted = try folder.write("shifted.csv", moved.csv())
        let ragged = try folder.write("ragged.csv", "f0,f1,f2,label\n1,2\n")
        #expect(await Warden.runMain(arguments: ["data", "drift", old, same, "--label", "label", "--permutations", "20", "--mmd-rows", "50"]) == 0)
        #expect(await Warden.runMain(arguments: ["data", "drift", old, shifted, "--label", "label", "--json", "--permutations", "20", "--mmd-rows", "50"]) == 1)
        #expect(await Warden.runMain(arguments: ["data", "drift", old, ragged]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "drift", old, folder.url("none.csv")]) == 2)
        #expect(await Warden.runMain(arguments: ["data", "drift", old, same, "--alpha", "0"]) == 2)
    }
}
