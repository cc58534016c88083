import Foundation
import Testing
import WardenCore
import WardenData
import WardenTesting

@testable import WardenCLI

/// `warden data pii scan|mask` through the real argument parsing and exit codes.
struct DataPIICommandTests {
    func run(_ arguments: [String]) async -> Int32 {
        await Warden.runMain(arguments: arguments)
    }

    @Test func scanExitsOneOnFindingsAndZeroWhenClean() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let dirty = try folder.write("c.csv", "id,email\n1,a@example.com\n")
        let clean = try folder.write("d.csv", "id,email\n1,none\n")
        #expect(await run(["data", "pii", "scan", dirty, "--json"]) == 1)
        #expect(await run(["data", "pii", "scan", dirty, "--exit-zero"]) == 0)
        #expect(await run(["data", "pii", "scan", clean]) == 0)
        #expect(await run(["data", "pii", "scan", dirty, "--types", "phone"]) == 0)
    }

    @Test func maskModes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let input = try folder.write("c.csv", "id,email,phone\n1,a@example.com,415-555-2671\n")
        let out = folder.url("m.csv")
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--quiet"]) == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "id,email,phone\n1,[EMAIL],[PHONE]\n")
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--mode", "partial", "--columns", "email"]) == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "id,email,phone\n1,a***@example.com,415-555-2671\n")
    }

    @Test func pseudonymSecretComesFromTheEnvironmentAndIsNeverPrinted() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let input = try folder.write("c.csv", "email\na@example.com\n")
        let out = folder.url("p.csv")
        // Missing variable, missing flag: exit 2, nothing written.
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--mode", "pseudonym"]) == 2)
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--mode", "pseudonym", "--secret-env", "WARDEN_TEST_UNSET_SECRET_VAR"]) == 2)
        #expect(FileIO.kind(of: out) == .missing)
        setenv("WARDEN_TEST_PII_SECRET", "s3cr3t-value-that-is-long-enough", 1)
        defer { unsetenv("WARDEN_TEST_PII_SECRET") }
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--mode", "pseudonym", "--secret-env", "WARDEN_TEST_PII_SECRET", "--json"]) == 0)
        let first = try String(contentsOfFile: out, encoding: .utf8)
        #expect(first.hasPrefix("email\nemail_") && !first.contains("a@example.com"))
        #expect(await run(["data", "pii", "mask", input, "--out", out, "--mode", "pseudonym", "--secret-env", "WARDEN_TEST_PII_SECRET"]) == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == first)
    }

    @Test func commandsInsideADataRepositoryAppendAuditEvents() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let repository = try DataRepository.open(containing: folder.path, create: true, createAt: folder.path)
        let input = try folder.write("c.csv", "email,age\na@example.com,40\n")
        #expect(await run(["data", "pii", "scan", input, "--exit-zero"]) == 0)
        #expect(await run(["data", "pii", "mask", input, "--out", folder.url("m.csv")]) == 0)
        #expect(await run(["data", "dp-stats", input, "--column", "age", "--stat", "count", "--epsilon", "1", "--bounds", "0,1"]) == 0)
        let events = try repository.audit.events()
        #expect(events.map(\.action) == ["data.pii.scan", "data.pii.mask", "data.dp-stats"])
        #expect(events.allSatisfy { !$0.line.contains("a@example.com") })
        // Each names the digest of the bytes it read, hashed in the same pass.
        let digest = try Digest.sha256(ofFile: input)
        #expect(events.allSatisfy { $0.subject == "c.csv@\(digest)" })
    }

    @Test func badInputExitsTwoWithoutOutput() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ragged = try folder.write("r.csv", "a,b\n1\n")
        let out = folder.url("o.csv")
        #expect(await run(["data", "pii", "scan", ragged]) == 2)
        #expect(await run(["data", "pii", "mask", ragged, "--out", out]) == 2)
        #expect(FileIO.kind(of: out) == .missing)
        #expect(await run(["data", "pii", "scan", folder.url("missing.csv")]) == 2)
        #expect(await run(["data", "pii", "mask", ragged, "--out", out, "--mode", "bogus"]) == 2)
        #expect(await run(["data", "pii", "scan", ragged, "--types", "nonsense"]) == 2)
    }
}
