import Foundation
import Testing
import WardenCore
import WardenTesting

/// `warden attack` and `warden certify` through the real binary: JSON keys, saved adversarial rows
/// that `warden eval` scores as the attack said, and bad input as exit 2 with a message.
struct AttackCommandTests {
    @Test func attackSaveEvalAndCertify() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let train = try ModelCommandsTests.writeTable(folder, "train.csv", rows: 240, seed: 1)
        let test = try ModelCommandsTests.writeTable(folder, "test.csv", rows: 60, seed: 2)
        let model = folder.url("m.onnx")
        try await ModelCommandsTests.trainSmallMLP(folder, data: train, out: model)
        let common = ["--model", model, "--data", test, "--label", "label", "--clip=-4,4"]
        let adversarial = folder.url("adv.csv")
        let attacked = try await WardenProcess.run(
            ["attack"] + common + ["--attack", "pgd", "--eps", "1", "--steps", "10", "--random-start", "--seed", "3", "--json", "--save-adversarial", adversarial], in: folder)
        #expect(attacked.status == 0, "\(attacked.stderr)")
        let report = try #require(attacked.json)
        for key in ["clean_accuracy", "robust_accuracy", "success_rate", "median_l2", "median_linf", "queries_median", "n", "seconds"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        #expect(report["n"]?.intValue == 60)
        let robust = try #require(report["robust_accuracy"]?.doubleValue)
        #expect(robust < (report["clean_accuracy"]?.doubleValue ?? 0))
        let evaluated = try await WardenProcess.run(["eval", "--model", model, "--data", adversarial, "--label", "label", "--json"], in: folder)
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(abs((evaluated.json?["accuracy"]?.doubleValue ?? -1) - robust) < 1e-9)

        let certified = try await WardenProcess.run(
            ["certify"] + common + ["--sigma", "0.5", "--n0", "20", "--n", "200", "--alpha", "0.01", "--radii", "0.25,0.5", "--limit", "10", "--json"], in: folder)
        #expect(certified.status == 0, "\(certified.stderr)")
        #expect(certified.json?["certified_accuracy"]?["0.25"]?.doubleValue != nil)
        #expect(certified.json?["abstain_rate"] != nil && certified.json?["n"]?.intValue == 10)

        // Bad input: exit 2 and a message naming the problem.
        let unlabelled = try folder.write("odd.csv", "a,b,label,c,d\n0.1,0.2,east,0.3,0.4\n")
        let narrow = try folder.write("narrow.csv", "a,b,label\n0.1,0.2,north\n")
        for (arguments, expected) in [
            (["attack"] + common + ["--attack", "fgsm", "--eps", "0"], "positive"),
            (["attack"] + common + ["--attack", "fgsm", "--eps", "9"], "clip range"),
            (["attack"] + common + ["--attack", "pgd", "--steps", "0"], "Steps"),
            (["attack", "--model", model, "--data", test, "--label", "label", "--attack", "fgsm"], "--clip"),
            (["attack", "--model", model, "--data", unlabelled, "--label", "label", "--attack", "fgsm"], "east"),
            (["attack", "--model", model, "--data", narrow, "--label", "label", "--attack", "fgsm"], "c"),
            (["attack"] + common + ["--attack", "square", "--norm", "2"], "--norm inf"),
            (["certify"] + common + ["--sigma=-1"], "σ"),
            (["certify"] + common + ["--radii", "big"], "radius"),
        ] {
            let result = try await WardenProcess.run(arguments, in: folder)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
