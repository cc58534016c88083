import Foundation
import Testing
import WardenCore
import WardenTesting

@testable import WardenCLI

/// `warden train | predict | eval | model inspect` through the real binary and exit codes.
struct ModelCommandsTests {
    /// Three separable classes in 4 columns with a label column in the middle.
    static func writeTable(_ folder: TemporaryDirectory, _ name: String, rows: Int, seed: UInt64) throws -> String {
        var g = SeededGenerator(seed: seed)
        var text = "a,b,label,c,d\n"
        for i in 0..<rows {
            let label = i % 3
            let centre: [Double] = [[2, 0, 0, 1], [-2, 1, 0, 0], [0, -2, 1, 0]][label]
            let v = centre.map { String(format: "%.4f", $0 + Double.random(in: -1..<1, using: &g)) }
            text += "\(v[0]),\(v[1]),\(["north", "south", "west"][label]),\(v[2]),\(v[3])\n"
        }
        return try folder.write(name, text)
    }

    /// Trains the small seeded MLP the robustness and hardening tests attack (`mlp:16`, lr 0.01,
    /// seed 5) on `data` into `out`, expecting success.
    static func trainSmallMLP(_ folder: TemporaryDirectory, data: String, out: String, epochs: Int = 12, extra: [String] = []) async throws {
        let trained = try await WardenProcess.run(
            ["train", "--data", data, "--label", "label", "--model", "mlp:16", "--epochs", String(epochs), "--lr", "0.01", "--seed", "5", "--out", out,
             "--quiet"] + extra, in: folder)
        #expect(trained.status == 0, "\(trained.stderr)")
    }

    @Test func trainPredictEvalInspect() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let train = try Self.writeTable(folder, "train.csv", rows: 240, seed: 1)
        let test = try Self.writeTable(folder, "test.csv", rows: 90, seed: 2)
        let model = folder.url("m.onnx")
        let trained = try await WardenProcess.run(
            ["train", "--data", train, "--label", "label", "--model", "mlp:16", "--epochs", "12", "--lr", "0.01", "--seed", "5", "--out", model,
             "--test", test, "--json"], in: folder)
        #expect(trained.status == 0, "\(trained.stderr)")
        let summary = try #require(trained.json)
        #expect((summary["test_accuracy"]?.doubleValue ?? 0) > 0.9)
        #expect(summary["classes"]?.arrayValue?.count == 3)

        let evaluated = try await WardenProcess.run(["eval", "--model", model, "--data", test, "--label", "label", "--json"], in: folder)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.json?["n"]?.intValue == 90)
        #expect(evaluated.json?["accuracy"]?.doubleValue == summary["test_accuracy"]?.doubleValue)

        let out = folder.url("predictions.csv")
        let predicted = try await WardenProcess.run(["predict", "--model", model, "--data", test, "--label", "label", "--output", out], in: folder)
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let lines = String(decoding: try FileIO.readAll(out), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 91)
        #expect(lines.first == "logits_0,logits_1,logits_2")
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",").count == 3 && $0.split(separator: ",").allSatisfy { Float($0) != nil } })

        let inspected = try await WardenProcess.run(["model", "inspect", model, "--json"], in: folder)
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let info = try #require(inspected.json)
        let parameters: Int64? = info["parameters"]?.intValue
        #expect(parameters == 131)
        #expect(info["inputs"]?.arrayValue?.first?["shape"] == .array([.string("N"), .int(4)]))
        #expect(info["unsupported"]?.arrayValue?.isEmpty == true)
        let text = try await WardenProcess.run(["model", "inspect", model], in: folder)
        #expect(text.stdout.contains("Gemm ×2") && text.stdout.contains("Parameters: 131"))

        // The same seed writes the same file.
        let again = folder.url("again.onnx")
        let retrained = try await WardenProcess.run(
            ["train", "--data", train, "--label", "label", "--model", "mlp:16", "--epochs", "12", "--lr", "0.01", "--seed", "5", "--out", again, "--quiet"], in: folder)
        #expect(retrained.status == 0)
        #expect(try FileIO.readAll(again) == FileIO.readAll(model))
    }

    @Test func badInputExitsTwoWithTheReason() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ragged = try folder.write("ragged.csv", "a,label\n1,0\n2\n")
        let run1 = try await WardenProcess.run(["train", "--data", ragged, "--label", "label", "--model", "mlp:4", "--out", folder.url("x.onnx")], in: folder)
        #expect(run1.status == 2)
        #expect(run1.stderr.contains("row 2"))
        let table = try folder.write("t.csv", "a,label\n1,0\n2,1\n")
        let run2 = try await WardenProcess.run(["train", "--data", table, "--label", "target", "--model", "mlp:4", "--out", folder.url("x.onnx")], in: folder)
        #expect(run2.status == 2 && run2.stderr.contains("no column 'target'"))
        let run3 = try await WardenProcess.run(["train", "--data", table, "--label", "label", "--model", "forest:10", "--out", folder.url("x.onnx")], in: folder)
        #expect(run3.status == 2 && run3.stderr.contains("mlp:"))
        let junk = try folder.write("junk.onnx", "this is not a model")
        let run4 = try await WardenProcess.run(["model", "inspect", junk], in: folder)
        #expect(run4.status == 2 && run4.stderr.contains("junk.onnx"))
        #expect(FileIO.kind(of: folder.url("x.onnx")) == .missing)
    }
}
