import Foundation
import Testing
import WardenCore
import WardenTesting

/// `warden train`'s defence options through the real binary: JSON keys, the defences recorded, and
/// malformed values as one-line errors with exit 2.
struct TrainDefenceCommandTests {
    @Test func defendedTrainingReportsItsDefencesAndTheBaseline() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let train = try ModelCommandsTests.writeTable(folder, "train.csv", rows: 120, seed: 1)
        let test = try ModelCommandsTests.writeTable(folder, "test.csv", rows: 60, seed: 2)
        let flagged = try folder.write("flagged.txt", "5\n0\n17\n")
        let common = ["train", "--data", train, "--label", "label", "--model", "mlp:8", "--epochs", "3", "--lr", "0.01", "--test", test]
        let result = try await WardenProcess.run(
            common + ["--robust", "trimmed:0.2", "--drop-flagged", flagged, "--noise", "0.1", "--baseline", "--out", folder.url("m.onnx"), "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        #expect(json["rows"]?.intValue == 117 && json["dropped_rows"]?.intValue == 3)
        #expect(json["defences"]?.arrayValue?.compactMap(\.stringValue) == ["noise:0.1", "trimmed:0.2", "drop-flagged:3"])
        #expect(json["test_accuracy"]?.doubleValue != nil && json["baseline_test_accuracy"]?.doubleValue != nil)
        let distilled = try await WardenProcess.run(common + ["--distill", "5", "--out", folder.url("d.onnx"), "--json"], in: folder)
        #expect(distilled.status == 0, "\(distilled.stderr)")
        #expect(distilled.json?["teacher_test_accuracy"]?.doubleValue != nil)
        // The data is not in [0, 1]: adversarial training says so and names --clip.
        let outside = try await WardenProcess.run(common + ["--adversarial", "pgd:eps=0.1", "--out", folder.url("a.onnx")], in: folder)
        #expect(outside.status == 2 && outside.stderr.contains("--clip"), "\(outside.stderr)")
        let clipped = try await WardenProcess.run(
            common + ["--adversarial", "pgd:eps=0.5,steps=2", "--clip=-5,5", "--out", folder.url("a.onnx"), "--json"], in: folder)
        #expect(clipped.status == 0, "\(clipped.stderr)")

        for bad in [
            ["--robust", "trimmed:1.5"], ["--adversarial", "pgd:eps=-1"], ["--noise", "nan"], ["--distill", "0"], ["--baseline"],
            ["--drop-flagged", try folder.write("bad.txt", "1\n999\n")], ["--drop-flagged", folder.url("missing.txt")],
        ] {
            let failed = try await WardenProcess.run(
                ["train", "--data", train, "--label", "label", "--model", "mlp:8", "--epochs", "1", "--out", folder.url("x.onnx")] + bad, in: folder)
            #expect(failed.status == 2, "\(bad): \(failed.stderr)")
            #expect(failed.stderr.split(separator: "\n").count == 1, "\(bad): \(failed.stderr)")
        }
    }
}
