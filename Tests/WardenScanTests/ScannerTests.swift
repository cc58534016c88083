import Foundation
import Testing
import WardenCore
import WardenFormats
import WardenScan
import WardenTesting

struct ScannerTests {
    let scanner = Scanner()

    func finding(_ file: ScanReport.File, rule: String) -> Finding? {
        file.findings.first { $0.rule == rule }
    }

    @Test func reportsTheGlobalItsOffsetAndAFix() throws {
        let bytes = PickleWriter.pickle(protocol: 2) { w in
            w.emptyDict()
            w.call("posix", "system") { $0.string("echo hi") }
            w.op(0x30)
        }
        let file = scanner.scan(bytes: bytes, name: "x.bin")
        #expect(file.format == .pickle)
        #expect(file.verdict == .unsafe)
        let hit = try #require(finding(file, rule: "pickle.denylisted-global"))
        #expect(hit.severity == .critical)
        #expect(hit.construct == "posix.system")
        #expect(hit.location.offset == 3)  // after PROTO 2 and EMPTY_DICT
        #expect(hit.message.contains("calls"))
        #expect(!hit.fix.isEmpty)
    }

    @Test func resolvesStackGlobalOperandsThroughTheMemo() throws {
        let item = try #require(ScanCorpus.malicious.first { $0.name == "stack-global-memo-p5.pkl" })
        let file = scanner.scan(bytes: item.bytes, name: item.name)
        #expect(file.findings.contains { $0.construct == "posix.system" && $0.severity == .critical })
    }

    @Test func namesTheArchiveMemberOfAFinding() throws {
        let item = try #require(ScanCorpus.malicious.first { $0.name == "torch-other-prefix.pt" })
        let file = scanner.scan(bytes: item.bytes, name: item.name)
        #expect(file.format == .pytorchZip)
        let hit = try #require(file.findings.first { $0.construct == "posix.system" })
        #expect(hit.location.member == "resnet_final/data.pkl")
    }

    @Test func nestedArchivesChainMemberNames() throws {
        let item = try #require(ScanCorpus.malicious.first { $0.name == "torch-nested.zip" })
        let file = scanner.scan(bytes: item.bytes, name: item.name)
        let hit = try #require(file.findings.first { $0.construct == "posix.system" })
        #expect(hit.location.member == "model/model.pt!archive/data.pkl")
    }

    @Test func detectsFormatsByContent() throws {
        let expected: [String: ModelFormat] = [
            "torch-legacy.pt": .pytorchLegacy, "estimator.joblib": .joblib, "object-array.npy": .numpy,
            "object-array.npz": .npz, "weights.bin": .pickle, "notes.txt": .pickle,
        ]
        for (name, format) in expected {
            let item = try #require(ScanCorpus.malicious.first { $0.name == name })
            #expect(scanner.scan(bytes: item.bytes, name: name).format == format, "\(name)")
        }
        let compressed = try #require(ScanCorpus.benign.first { $0.name == "logreg-bz2.joblib" })
        #expect(scanner.scan(bytes: compressed.bytes, name: compressed.name).format.rawValue == "joblib+bzip2")
    }

    @Test func joblibPayloadAfterArrayBytesIsFoundAtItsOffset() throws {
        let item = try #require(ScanCorpus.malicious.first { $0.name == "estimator.joblib" })
        let file = scanner.scan(bytes: item.bytes, name: item.name)
        let hit = try #require(file.findings.first { $0.construct == "posix.system" })
        // The payload sits after both arrays' raw bytes.
        #expect(try #require(hit.location.offset) > 150)
        #expect(!file.findings.contains { $0.rule == "pickle.malformed" })
    }

    @Test func unknownContentIsNotAnalysedNeverClean() {
        var rng = SeededGenerator(seed: 5)
        let file = scanner.scan(bytes: Array("just some text\n".utf8) + rng.bytes(100), name: "readme")
        #expect(file.format == .unknown)
        #expect(file.verdict == .notAnalysed)
        #expect(file.findings.contains { $0.rule == "scan.not-analysed" && $0.severity == .info })
    }

    @Test func thresholdDecidesTheVerdict() throws {
        let item = try #require(ScanCorpus.malicious.first { $0.name == "torch-hidden-storage.pt" })
        var options = Scanner.Options()
        options.threshold = .critical
        let strict = Scanner(options: options).scan(bytes: item.bytes, name: item.name)
        #expect(strict.verdict == .unsafe)
        let report = ScanReport(threshold: .critical, files: [strict])
        #expect(report.hasFinding(atLeast: .medium))
        #expect(report.failed)
        #expect(report.highestSeverity == .critical)
    }

    @Test func scansFoldersRecursivelyInPathOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.write("models/a/evil.bin", ScanCorpus.malicious[0].bytes)
        _ = try directory.write("models/b/state.pt", ModelFileFactory.torchZip())
        let report = try scanner.scan(path: directory.url("models"))
        #expect(report.files.map(\.path) == [directory.url("models") + "/a/evil.bin", directory.url("models") + "/b/state.pt"])
        #expect(report.files.map(\.verdict) == [.unsafe, .clean])
        #expect(report.failed)
    }

    @Test func concurrentFolderScansKeepPathOrderAndMatchASequentialScan() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (index, fixture) in (ScanCorpus.malicious.prefix(12) + ScanCorpus.benign.prefix(12)).enumerated() {
            _ = try directory.write("corpus/\(index % 5)/\(index)-\(fixture.name)", fixture.bytes)
        }
        var sequential = Scanner.Options()
        sequential.concurrency = 1
        var parallel = Scanner.Options()
        parallel.concurrency = 4
        let one = try Scanner(options: sequential).scan(path: directory.url("corpus"))
        let four = try Scanner(options: parallel).scan(path: directory.url("corpus"))
        #expect(one.files.count == 24)
        #expect(four.files == one.files)
        #expect(one.files.map(\.path) == one.files.map(\.path).sorted())
    }

    @Test func legacyKerasH5IsReadThroughItsRootAttributes() throws {
        let lambda = #"{"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAAAAAA", null, null]}}"#
        let evil = ModelFileFactory.kerasH5(extraLayer: lambda)
        let file = scanner.scan(bytes: evil, name: "m.h5")
        #expect(file.format == .kerasH5)
        #expect(finding(file, rule: "keras.lambda-layer")?.location.offset != nil)
        #expect(finding(file, rule: "hdf5.unreadable-attributes") == nil)
        #expect(scanner.scan(bytes: ModelFileFactory.kerasH5(), name: "ok.h5").verdict == .clean)
        // model_config moved to a continuation block that the file no longer holds: the gap is high.
        let config = Array(ModelFileFactory.kerasConfig(extraLayer: lambda).utf8)
        let hidden = HDF5Writer.file(attributes: [("backend", Array("tf".utf8)), ("model_config", config)], continuationAfter: 1)
        let cut = scanner.scan(bytes: Array(hidden.prefix(hidden.count - config.count - 8)), name: "cut.h5")
        #expect(finding(cut, rule: "hdf5.unreadable-attributes")?.severity == .high)
        #expect(cut.verdict == .unsafe)
    }

    @Test func reportsAreCodableAndStable() throws {
        let report = try scanner.scan(paths: [])
        #expect(report.schema == "warden.scan/v1")
        let item = ScanCorpus.malicious[3]
        let full = ScanReport(threshold: .high, files: [scanner.scan(bytes: item.bytes, name: item.name)])
        let data = try JSONEncoder().encode(full)
        #expect(try JSONDecoder().decode(ScanReport.self, from: data) == full)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"verdict\":\"unsafe\""))
        #expect(text.contains("\"severity\":\"critical\""))
    }

    @Test func missingPathIsAnError() {
        #expect(throws: WardenError.notFound("")) { try scanner.scan(path: "/nonexistent/warden-test") }
    }
}

/// The rule catalogue, the findings the scanner emits and docs/scanning.md agree.
struct ScanRuleCatalogueTests {
    @Test func everyEmittedRuleIsCataloguedAndDocumented() throws {
        let docs = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path + "/docs/scanning.md", encoding: .utf8)
        for rule in ScanRule.all {
            #expect(docs.contains("`\(rule.id)`"), "\(rule.id) is not in docs/scanning.md")
        }
        let scanner = Scanner()
        var emitted: Set<String> = []
        for item in ScanCorpus.all {
            for finding in scanner.scan(bytes: item.bytes, name: item.name).findings { emitted.insert(finding.rule) }
        }
        for rule in emitted { #expect(ScanRule.named(rule) != nil, "\(rule) is not in ScanRule.all") }
        #expect(emitted.count >= 10)
    }
}
