import Foundation
import Testing
import WardenCore
import WardenTesting

/// `warden serve` refuses a bad `--idle-timeout` before it opens anything (exit 2, the flag named).
struct ServeCommandTests {
    @Test(arguments: ["0", "-5", "nan", "1e9", "soon"])
    func aBadIdleTimeoutIsRefused(value: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let run = try await WardenProcess.run(["serve", "--data", folder.url("data"), "--port", "0", "--idle-timeout", value], in: folder)
        #expect(run.status == 2 && run.stderr.contains("idle-timeout"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url("data")))
    }
}
