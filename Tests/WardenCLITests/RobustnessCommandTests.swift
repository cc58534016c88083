import Foundation
import Testing
import WardenCore
import WardenTesting

/// `warden robustness report` through the real binary: the JSON schema, a self-contained HTML page
/// with one curve per attack and model (no scripts, no external assets), and bad input as exit 2.
struct RobustnessCommandTests {
    @Test func reportWritesJSONAndSelfContainedHTML() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let train = try ModelCommandsTests.writeTable(folder, "train.csv", rows: 240, seed: 1)
        let test = try ModelCommandsTests.writeTable(folder, "test.csv", rows: 40, seed: 2)
        let model = folder.url("m.onnx"), other = folder.url("noisy.onnx")
        for (path, extra) in [(model, [String]()), (other, ["--noise", "0.5"])] {
            try await ModelCommandsTests.trainSmallMLP(folder, data: train, out: path, extra: extra)
        }
        let common = ["robustness", "report", "--model", model, "--data", test, "--label", "label", "--clip=-4,4", "--limit", "20"]
        let html = folder.url("r.html")
        let result = try await WardenProcess.run(
            common + ["--compare-model", other, "--attacks", "fgsm,pgd,square,deepfool", "--eps", "0,0.5,1", "--pgd-steps", "5", "--square-queries", "50",
                      "--sigma", "0.5", "--n", "100", "--n0", "20", "--radii", "0,0.5,1", "--json", "--html", html], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("m.onnx: pgd ε=1.0") || result.stderr.contains("m.onnx: pgd ε=1"), "no progress on stderr: \(result.stderr)")
        let json = try #require(result.json)
        #expect(json["schema"]?.stringValue == "warden.robustness-report/1" && json["n"]?.intValue == 20)
        #expect(json["epsilons"]?.arrayValue?.map(\.doubleValue) == [0, 0.5, 1] && json["radii"]?.arrayValue?.map(\.doubleValue) == [0, 0.5, 1])
        let models = try #require(json["models"]?.arrayValue)
        #expect(models.count == 2 && models[1]["name"]?.stringValue == other)
        #expect(models[0]["curves"]?.arrayValue?.map { $0["attack"]?.stringValue } == ["fgsm", "pgd", "square"])
        #expect(models[0]["curves"]?.item(1)?["points"]?.item(2)?["robust_accuracy"]?.doubleValue ?? 1 < models[0]["clean_accuracy"]?.doubleValue ?? 0)
        #expect(models[0]["minimum_norm"]?.item(0)?["report"]?["attack"]?.stringValue == "deepfool")
        #expect(models[0]["certification"]?["curve"]?.arrayValue?.count == 3)
        #expect(json["comparisons"]?.item(0)?["clean_accuracy_change"]?.doubleValue != nil)

        let page = String(decoding: try FileIO.readAll(html), as: UTF8.self)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>"))
        for forbidden in ["<script", "src=", "href=", "<link", "@import", "url("] {
            #expect(!page.lowercased().contains(forbidden), "the page is not self-contained: \(forbidden)")
        }
        for series in ["fgsm (1: m.onnx)", "pgd (1: m.onnx)", "square (1: m.onnx)", "pgd (2: noisy.onnx)", "deepfool (1: m.onnx)", "certified σ=0.5 (2: noisy.onnx)"] {
            #expect(page.contains("<polyline class=\"series\" data-series=\"\(series)\""), "no curve \(series)")
        }
        #expect(page.components(separatedBy: "<svg").count - 1 == 2)

        for (arguments, expected) in [
            (common + ["--eps", "0,9"], "outside 0…8.0"),
            (common + ["--eps", "0,-0.1"], "outside"),
            (common + ["--attacks", "fgsm,magic"], "'magic' is not valid"),
            (common + ["--eps", "0,x"], "'x' is not valid"),
            (["robustness", "report", "--model", model, "--data", test, "--label", "label", "--attacks", "fgsm"], "--clip"),
        ] {
            let bad = try await WardenProcess.run(arguments, in: folder)
            #expect(bad.status == 2, "\(arguments): \(bad.status) \(bad.stderr)")
            #expect(bad.stderr.contains(expected), "\(arguments): \(bad.stderr)")
        }
    }
}

extension JSONValue {
    /// The array element at `index`, `nil` when this is not an array or too short.
    func item(_ index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
