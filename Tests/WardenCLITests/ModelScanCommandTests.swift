import Foundation
import Testing
import WardenCore
import WardenScan
import WardenTesting

@testable import WardenCLI

/// `warden model scan` through the real argument parsing and exit codes.
struct ModelScanCommandTests {
    @Test func exitCodesFollowTheThreshold() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let evil = try folder.write("models/evil.bin", ScanCorpus.systemPickle())
        let clean = try folder.write("models/state.pt", ModelFileFactory.torchZip())
        let hidden = try #require(ScanCorpus.malicious.first { $0.name == "torch-hidden-storage.pt" })
        #expect(await Warden.runMain(arguments: ["model", "scan", clean, "--quiet"]) == 0)
        #expect(await Warden.runMain(arguments: ["model", "scan", evil, "--output", folder.url("r.txt")]) == 1)
        #expect(await Warden.runMain(arguments: ["model", "scan", folder.url("missing.pt")]) == 2)
        #expect(await Warden.runMain(arguments: ["model", "scan", clean, "--fail-on", "bogus"]) == 2)
        #expect(await Warden.runMain(arguments: ["model", "scan"]) == 2)
        // A device as --output is written into, never replaced by a rename.
        #expect(await Warden.runMain(arguments: ["model", "scan", clean, "--quiet", "--output", "/dev/null"]) == 0)
        #expect(FileIO.kind(of: "/dev/null") == .special)
        // The hidden-storage pickle is critical: it fails at every threshold.
        let path = try folder.write("hidden.pt", hidden.bytes)
        #expect(await Warden.runMain(arguments: ["model", "scan", path, "--fail-on", "critical", "--output", folder.url("h.txt")]) == 1)
    }

    @Test func writesJSONAndSARIFReports() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        _ = try folder.write("models/evil.bin", ScanCorpus.systemPickle())
        _ = try folder.write("models/ok.npy", ModelFileFactory.npy(descr: "<f4", shape: [2], data: [0, 0, 0, 0, 0, 0, 0, 0]))
        let json = folder.url("scan.json")
        #expect(await Warden.runMain(arguments: ["model", "scan", folder.url("models"), "--format", "json", "--output", json, "--quiet"]) == 1)
        let report = try JSONParser().parse(try FileIO.readAll(json))
        #expect(report["schema"]?.stringValue == "warden.scan/v1")
        #expect(report["files"]?.arrayValue?.count == 2)
        #expect(report["files"]?.arrayValue?.first?["findings"]?.arrayValue?.first?["construct"]?.stringValue == "posix.system")
        let sarif = folder.url("scan.sarif")
        #expect(await Warden.runMain(arguments: ["model", "scan", folder.url("models"), "--format", "sarif", "--output", sarif, "--fail-on", "critical", "--quiet"]) == 1)
        let log = try JSONParser().parse(try FileIO.readAll(sarif))
        #expect(log["version"]?.stringValue == "2.1.0")
        let run = try #require(log["runs"]?.arrayValue?.first)
        #expect(run["tool"]?["driver"]?["rules"]?.arrayValue?.first?["id"]?.stringValue == "pickle.denylisted-global")
        let result = try #require(run["results"]?.arrayValue?.first)
        #expect(result["level"]?.stringValue == "error")
        #expect(result["locations"]?.arrayValue?.first?["physicalLocation"]?["artifactLocation"]?["uri"]?.stringValue?.hasSuffix("models/evil.bin") == true)
    }

    @Test func textReportNamesTheConstructAndTheFix() throws {
        let scanner = WardenScan.Scanner()
        let item = try #require(ScanCorpus.malicious.first { $0.name == "torch-data-pkl.pt" })
        let file = scanner.scan(bytes: item.bytes, name: item.name)
        let text = ModelScanCommand.render(.init(threshold: .high, files: [file]))
        #expect(text.contains("UNSAFE"))
        #expect(text.contains("CRITICAL pickle.denylisted-global [posix.system] in archive/data.pkl"))
        #expect(text.contains("fix: "))
        #expect(text.hasSuffix("scanned 1 file(s): 1 unsafe at --fail-on high; findings: 1 critical"))
    }

    /// ArgumentParser builds the whole command tree on every run, and names a command that does not
    /// name itself with `String(describing: Type.self)`: four first-time protocol casts per command,
    /// each of which walks every protocol-conformance record of the 237 MB static `warden` binary.
    /// Naming every command keeps that out of `warden model scan`'s start-up (docs/BENCHMARKS.md,
    /// "Scanner speed").
    @Test func everyCommandNamesItselfSoStartUpDescribesNoType() {
        let commands = CLICommandTests.allCommands()
        #expect(commands.count > 50)
        for command in commands {
            #expect(command.configuration.commandName != nil, "\(command) sets no commandName in its configuration")
        }
    }

    /// The command lines `ModelScanCommand.fastParse` reads itself must mean exactly what they
    /// mean to ArgumentParser; everything else must be left to ArgumentParser (`nil`).
    @Test(arguments: [
        (["a.pt"], true),
        (["a.pt", "models/", "--quiet"], true),
        (["--fail-on", "critical", "a.pt"], true),
        (["a.pt", "--fail-on=MEDIUM"], true),
        (["a.pt", "--format", "sarif", "--output", "r.sarif"], true),
        (["a.pt", "--format=json", "--output=r.json", "--json", "--allow-symlinks"], true),
        (["a.pt", "--output", "a.txt", "--output", "b.txt"], true),
        (["help"], true),
        (["x=y.pt", "--quiet", "--quiet"], true),
        ([], false),
        (["--help"], false),
        (["-h"], false),
        (["a.pt", "--fail-on", "info"], false),
        (["a.pt", "--fail-on", "bogus"], false),
        (["a.pt", "--format", "xml"], false),
        (["a.pt", "--output"], false),
        (["a.pt", "--output="], false),
        (["a.pt", "--output", "--quiet"], false),
        (["--", "-weird.pt"], false),
        (["a.pt", "--json=yes"], false),
        (["a.pt", "--version"], false),
        (["a.pt", "-q"], false),
        (["a.pt", "--generate-completion-script", "bash"], false),
        (["--quiet"], false),
    ])
    func fastPathMeansWhatArgumentParserMeans(arguments: [String], fast: Bool) throws {
        let parsed = ModelScanCommand.fastParse(arguments)
        #expect((parsed != nil) == fast, "fastParse(\(arguments))")
        guard let parsed else { return }
        let reference = try #require(try Warden.parseAsRoot(["model", "scan"] + arguments) as? ModelScanCommand)
        #expect(parsed == reference.request)
    }

    /// A new option on `warden model scan` must be taught to the fast path (or it would be read
    /// unset there): the fast path's property list is the command's.
    @Test func fastPathSetsEveryPropertyOfTheCommand() {
        let properties = Mirror(reflecting: ModelScanCommand()).children.compactMap { $0.label.map { String($0.drop { $0 == "_" }) } }
        #expect(properties == ModelScanCommand.fastPathProperties)
    }

    /// The fast path runs the same command: same exit codes, and ArgumentParser's messages for the
    /// command lines it leaves to it.
    @Test func fastPathKeepsExitCodes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let evil = try folder.write("models/evil.bin", ScanCorpus.systemPickle())
        #expect(await Warden.runMain(arguments: ["model", "scan", "--quiet", evil, "--output=\(folder.url("r.json"))", "--format=json"]) == 1)
        let report = try String(contentsOfFile: folder.url("r.json"), encoding: .utf8)
        #expect(report.contains("posix.system") || report.contains("os.system"))
        #expect(await Warden.runMain(arguments: ["model", "scan", "--quiet", evil, "--fail-on", "bogus"]) == 2)
        #expect(await Warden.runMain(arguments: ["model", "scan", "--quiet", folder.url("missing.pt")]) == 2)
    }
}
