import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

extension DemoRun {
    /// The backdoor stage: generated 1×8×8 "images" of four classes, 5 % of them stamped with a
    /// 2×2 trigger patch in the bottom-right corner and relabelled to the last class (seeded, ground
    /// truth kept), written as CSV and scanned as `warden data scan` does. The stage checks that the
    /// backdoor detectors name the target class, catch the stamped rows and localise the trigger to
    /// the patch, and writes the report as JSON and HTML (with the trigger heatmap).
    static func scanForBackdoor(root: String, artefacts: inout [(String, String)]) throws -> String {
        let folder = root + "/backdoor"
        try FileIO.makeDirectory(folder)
        let patch = PoisonPlanter.patch(top: 6, left: 6, size: 2, imageWidth: 8)
        let planter = PoisonPlanter(classes: 4, width: 64, separation: 1, triggerFeatures: patch)
        let poisoned = planter.plant(.backdoor, fraction: 0.05, in: planter.clean(rows: 400, seed: 2024), seed: 2024)
        let data = folder + "/stamped.csv"
        try FileIO.writeAtomically(poisoned.csv(), to: data)
        let table = try FeatureTable(LabeledDataset(csv: data, label: "label"))
        var configuration = PoisonScanner.Configuration()
        configuration.imageShape = try TriggerLocalization.imageShape("1x8x8", features: table.width)
        let (report, scores) = try PoisonScanner(configuration: configuration).scan(table)
        let stamped = Set(poisoned.poisoned)
        let caught = Set(report.suspicious.filter { $0.reasons.contains(.backdoor) }.map(\.index))
        let hits = caught.intersection(stamped).count
        let suspicious = report.backdoor?.classes.filter(\.suspicious) ?? []
        let target = String(planter.classes - 1)
        guard suspicious.map(\.label) == [target], hits * 10 >= stamped.count * 8, hits * 10 >= caught.count * 9 else {
            throw WardenError.internalError(
                "the backdoor scan named classes \(suspicious.map(\.label)) and caught \(hits) of \(stamped.count) stamped rows in \(caught.count) flags")
        }
        guard let box = suspicious[0].trigger?.box, [box.top, box.left, box.bottom, box.right] == [6, 6, 7, 7] else {
            throw WardenError.internalError("the trigger was not localised to the 2×2 patch: \(String(describing: suspicious[0].trigger?.box))")
        }
        try writeScan(report, scores: scores, table: table, to: folder)
        artefacts.append(("backdoored dataset", data))
        artefacts.append(("backdoor scan (HTML)", folder + "/scan.html"))
        return "stamped a 2×2 trigger on \(stamped.count) of \(poisoned.rows) images relabelled '\(target)'; the scan named class '\(target)', caught \(hits) with \(caught.count - hits) extra, trigger box rows \(box.top)…\(box.bottom), columns \(box.left)…\(box.right)"
    }
}
