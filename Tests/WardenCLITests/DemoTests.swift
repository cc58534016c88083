import Foundation
import Testing
import WardenCore
import WardenCrypto
import WardenTesting

@testable import WardenCLI

/// The demo is the integration test: it must run end to end and say so.
struct DemoTests {
    @Test func demoRunsEndToEndAndItsJSONSaysOK() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let dir = folder.url("demo")
        let result = try await WardenProcess.run(["demo", "--dir", dir, "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json, "stdout is not JSON: \(result.stdout)")
        #expect(json["ok"] == true)
        #expect(json["folder"]?.stringValue == dir)
        let steps = json["steps"]?.arrayValue ?? []
        let status = Dictionary(steps.map { ($0["name"]?.stringValue ?? "?", $0["status"]?.stringValue ?? "?") }, uniquingKeysWith: { a, _ in a })
        for name in ["keys", "poisoning", "backdoor", "train", "robustness", "model", "sign", "verify", "scan", "tamper", "gateway"] { #expect(status[name] == "ok", "\(name): \(steps)") }
        #expect(!status.values.contains("failed"))
        // Every artefact it names exists.
        for (label, path) in json["artefacts"]?.objectValue ?? [] {
            #expect(FileIO.kind(of: path.stringValue ?? "") != .missing, "\(label)")
        }
        // The demo tampered with the model after signing it: verifying it now fails.
        let signature = dir + "/model.sig"
        #expect(await Warden.runMain(arguments: ["model", "verify", dir + "/model", "--key", dir + "/keys/public.pem", "--signature", signature]) == 1)
    }

    @Test func demoInProcessRecordsEachStep() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let run = DemoRun(root: folder.path, quiet: true)
        await run.execute()
        #expect(!run.failed, "\(run.steps.map { "\($0.name): \($0.status) \($0.detail)" })")
        #expect(run.summaryJSON["ok"] == true)
        #expect(run.steps.first?.name == "keys")
        #expect(run.steps.contains { $0.name == "tamper" && $0.status == .ok && $0.detail.contains("dense_1.bin") })
        #expect(run.steps.contains { $0.name == "scan" && $0.status == .ok && $0.detail.contains("posix.system") })
        // Skipped stages are listed, never faked.
        #expect(run.steps.filter { $0.status == .skipped }.allSatisfy { $0.detail.contains("not built") })
        let keyMode = try FileManager.default.attributesOfItem(atPath: folder.url("keys/private.pem"))[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
    }

    @Test func demoRefusesANonEmptyFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("demo/keep.txt", "mine")
        #expect(await Warden.runMain(arguments: ["demo", "--dir", folder.url("demo"), "--json"]) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url("demo")) == ["keep.txt"])
    }
}
