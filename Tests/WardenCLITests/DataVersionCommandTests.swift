import Foundation
import Testing
import WardenCore
import WardenCrypto
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
        #expect(await run(["data", "checkout", data]) == 2, "the tampered content is in no version: refused")
        #expect(await run(["data", "checkout", data, "--force"]) == 0)
        #expect(try String(contentsOfFile: data, encoding: .utf8) == "id,x\n1,2\n")
        #expect(await run(["data", "log", data, "--json"]) == 0)
        let repo = try DataRepository.open(containing: data)
        #expect(await run(["data", "provenance", data, "--json"]) == 0)
        let events = try repo.audit.events()
        #expect(events.suffix(2).map(\.action) == ["data.log", "data.provenance"])
        #expect(events.suffix(2).allSatisfy { $0.subject == "train.csv@\(Digest.sha256("id,x\n1,2\n"))" })
    }

    @Test func provenanceExportsASignedAttestationOfTheDatasetDigest() async throws {
        let folder = try repository()
        defer { folder.remove() }
        let raw = try folder.write("raw.csv", "a\n1\n")
        let clean = try folder.write("clean.csv", "a\n1\n2\n")
        #expect(await run(["keys", "generate", "--out", folder.url("keys")]) == 0)
        #expect(await run(["data", "track", raw, "--source", "upstream", "--url", "https://example.com/raw.csv"]) == 0)
        #expect(await run(["data", "transform", "--op", "append", "--params", #"{"rows":1}"#, "--in", raw, "--out", clean]) == 0)
        let out = folder.url("clean.intoto.json")
        #expect(await run(["data", "provenance", clean, "--attest", "--key", folder.url("keys/private.pem"), "--output-file", out]) == 0)
        let envelope = try AttestationVerifier.envelope(from: try FileIO.readAll(out), source: out)
        let report = try AttestationVerifier(key: try PublicKey(file: folder.url("keys/public.pem")))
            .verify(envelope, source: out, files: [(clean, try Digest.sha256(ofFile: clean))])
        #expect(report.verified)
        #expect(report.predicateType == ProvenanceGraph.predicateType)
        let statement = try InTotoStatement(payload: envelope.payload, source: out)
        #expect(statement.predicate["steps"]?.arrayValue?.first?["operation"]?.stringValue == "append")
        #expect(statement.predicate["sources"]?.arrayValue?.first?["url"]?.stringValue == "https://example.com/raw.csv")
        let events = try DataRepository.open(containing: clean).audit.events()
        #expect(events.map(\.action) == ["data.track", "data.transform", "data.provenance", "data.provenance.attest"])
        #expect(await run(["data", "provenance", clean, "--attest"]) == 2, "--attest needs --key")
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
