import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

extension DemoRun {
    /// The poisoning stage: a generated three-class table with 5 % of its labels flipped and a few
    /// noise rows planted (seeded, ground truth kept), scanned as `warden data scan` does; the caught
    /// rows are compared with the planted ones and the report is written as JSON and HTML.
    static func scanForPoison(root: String, artefacts: inout [(String, String)]) throws -> String {
        let folder = root + "/poisoning"
        try FileIO.makeDirectory(folder)
        let planter = PoisonPlanter(classes: 3, width: 8, separation: 3)
        let clean = planter.clean(rows: 400, seed: 2024)
        let flipped = planter.plant(.randomFlips, fraction: 0.05, in: clean, seed: 7)
        let poisoned = planter.plant(.outliers, fraction: 0.01, in: flipped, seed: 8)
        let planted = Set(flipped.poisoned + poisoned.poisoned)
        let data = folder + "/poisoned.csv"
        try FileIO.writeAtomically(poisoned.csv(), to: data)
        let table = try FeatureTable(LabeledDataset(csv: data, label: "label"))
        let (report, scores) = try PoisonScanner().scan(table)
        let caught = Set(report.flaggedIndices)
        let hits = caught.intersection(planted).count
        guard !report.isClean, hits * 10 >= planted.count * 8 else {
            throw WardenError.internalError("the scan caught \(hits) of \(planted.count) planted rows")
        }
        try writeScan(report, scores: scores, table: table, to: folder)
        artefacts.append(("poisoned dataset", data))
        artefacts.append(("poisoning scan (HTML)", folder + "/scan.html"))
        return "planted \(flipped.poisoned.count) label flips and \(poisoned.poisoned.count) noise rows in \(poisoned.rows) rows; the scan flagged \(caught.count), \(hits) of them planted (verdict \(report.verdict))"
    }

    /// Writes a scan's flagged rows (`flagged.txt`), report (`scan.json`) and page (`scan.html`) into `folder`.
    static func writeScan(_ report: PoisonScanReport, scores: PoisonScanner.Scores, table: FeatureTable, to folder: String) throws {
        try FileIO.writeAtomically(report.flaggedIndices.map { "\($0)\n" }.joined(), to: folder + "/flagged.txt")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileIO.writeAtomically(Array(try encoder.encode(report)), to: folder + "/scan.json")
        try FileIO.writeAtomically(PoisonScanHTML.render(report, scores: scores, table: table), to: folder + "/scan.html")
    }
}
