import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

@testable import WardenCLI

/// `warden data …` through the real argument parsing and exit-code mapping.
struct DataVersionCommandTests {
    /// A folder that already is a repository, so the commands need no particular working directory.
    func repository() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory()
        _ = try DataRepository.open(containing: folder.path, create: true, createAt: folder.path)
        return folder
    }

    func run(_ arguments: [String]) async -> Int32 {
        await Warden.runMain(arguments: arguments + ["--quiet"])
    }

    @Test func addVerifyTamperCheckout() async throws {
        let folder = try repository()
        defer { folder.remove() }
        let data = try folder.write("train.csv", "id,x\n1,2\n")
        #expect(await run(["data", "add", data, "--json"]) == 0)
        #expect(FileIO.kind(of: data + ".warden") == .regular)
        #expect(await run(["data", "verify", data]) == 0)
        _ = try folder.write("train.csv", "id,x\n1,666\n")
        #expect(await run(["data", "verify", data]) == 1)
        #expect(await run(["data", "checkout", data]) == 0)
        #expect(try String(contentsOfFile: data, encoding: .utf8) == "id,x\n1,2\n")
        #expect(await run(["data", "log", data, "--json"]) == 0)
    }

    @Test func badInputExitsTwo() async throws {
        let folder = try repository()
        defer { folder.remove() }
        let data = try folder.write("a.csv", "x\n")
        #expect(await run(["data", "verify", data]) == 2)  // not tracked
        #expect(await run(["data", "add", folder.url("missing.csv")]) == 2)
        _ = try DataRepository.open(containing: data).add(data)
        #expect(await run(["data", "checkout", data, "--version", "deadbeef"]) == 2)
        #expect(await run(["data", "diff", data, "zz", "yy"]) == 2)
        #expect(await run(["data", "transform", "--op", "x", "--params", "[1]", "--out", data]) == 2)
    }

    @Test func aFailedTransformCommandRecordsNothing() async throws {
        let folder = try repository()
        defer { folder.remove() }
        let input = try folder.write("in.csv", "a\n")
        let output = try folder.write("out.csv", "b\n")
        #expect(await run(["data", "transform", "--op", "fail", "--in", input, "--out", output, "--", "sh", "-c", "exit 3"]) == 1)
        let repo = try DataRepository.open(containing: input)
        #expect(try repo.provenanceRecords().isEmpty)
        #expect(await run(["data", "transform", "--op", "ok", "--in", input, "--out", output, "--", "true"]) == 0)
        #expect(try repo.provenanceRecords().count == 1)
    }

    @Test func pullReportsMissingObjectsWithExitOne() async throws {
        let folder = try repository()
        defer { folder.remove() }
        let data = try folder.write("d.csv", "x\n")
        _ = try DataRepository.open(containing: data).add(data)
        let remote = folder.url("empty-remote")
        try FileIO.makeDirectory(remote)
        #expect(await run(["data", "pull", "--remote", remote, data]) == 0)  // the cache has it
        try FileManager.default.removeItem(atPath: folder.url(".warden/cache"))
        #expect(await run(["data", "pull", "--remote", remote, data]) == 1)
    }
}
