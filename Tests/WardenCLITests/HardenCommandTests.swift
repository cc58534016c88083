import Foundation
import Testing
import WardenCore
import WardenTesting

/// `warden harden` through the real binary: the unhardened row matches `warden eval`, label-only
/// and top-k keep top-1 accuracy but change the probabilities, noise is seeded, and bad specs exit 2.
struct HardenCommandTests {
    @Test func reportsTheCostOfEachSetting() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let train = try ModelCommandsTests.writeTable(folder, "train.csv", rows: 240, seed: 1)
        let test = try ModelCommandsTests.writeTable(folder, "test.csv", rows: 60, seed: 2)
        let model = folder.url("m.onnx")
        try await ModelCommandsTests.trainSmallMLP(folder, data: train, out: model, epochs: 8)
        let common = ["harden", "--model", model, "--data", test, "--label", "label", "--clip=-4,4"]
        let run = try await WardenProcess.run(
            common + ["--setting", "none", "--setting", "label", "--setting", "top-k=1,round=2", "--setting", "noise=0.3", "--seed", "4", "--json"], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(run.json)
        let settings = try #require(report["settings"]?.arrayValue)
        #expect(settings.map { $0["setting"]?.stringValue } == ["none", "label", "top-k=1,round=2", "noise=0.3"])
        let evaluated = try await WardenProcess.run(["eval", "--model", model, "--data", test, "--label", "label", "--json"], in: folder)
        let accuracy = try #require(evaluated.json?["accuracy"]?.doubleValue)
        for setting in settings {
            // Every setting keeps the top-1 class (noise swaps it back), so benign accuracy is unchanged.
            #expect(abs((setting["accuracy"]?.doubleValue ?? -1) - accuracy) < 1e-9, "\(setting)")
            #expect(setting["top1_agreement"]?.doubleValue == 1)
        }
        let none = try #require(settings[0]["log_loss"]?.doubleValue), label = try #require(settings[1]["log_loss"]?.doubleValue)
        #expect(settings[0]["mean_l1_change"]?.doubleValue == 0)
        #expect((settings[1]["mean_l1_change"]?.doubleValue ?? 0) > 0 && (settings[3]["mean_l1_change"]?.doubleValue ?? 0) > 0)
        // One-hot answers cost log loss only on the rows the model gets wrong (−log 1e-12 each).
        if accuracy < 1 { #expect(label > none) } else { #expect(label == 0) }
        // Seeded: the same noise again.
        let again = try await WardenProcess.run(common + ["--setting", "noise=0.3", "--seed", "4", "--json"], in: folder)
        #expect(again.json?["settings"]?.arrayValue?.first == settings[3])
        let bad = try await WardenProcess.run(common + ["--setting", "top-k=0"], in: folder)
        #expect(bad.status == 2 && bad.stderr.contains("top-k=K"), "\(bad.stderr)")
    }
}
