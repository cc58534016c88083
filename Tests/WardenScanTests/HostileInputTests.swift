import Testing
import WardenCore
import WardenFormats
import WardenScan
import WardenTesting

/// Hostile inputs: bounded time and memory, a finding instead of a crash.
struct HostileInputTests {
    let scanner = Scanner()

    @Test func zipBombStopsAtTheLimit() throws {
        // 64 MiB of zeros deflate to ~64 KiB; a 16 MiB member limit stops the scan early.
        var zip = ZipWriter()
        zip.add("archive/data.pkl", [UInt8](repeating: 0, count: 64 << 20), deflate: true)
        let bytes = zip.bytes()
        #expect(bytes.count < 200_000)
        var options = Scanner.Options()
        options.maxMemberBytes = 16 << 20
        let file = Scanner(options: options).scan(bytes: bytes, name: "bomb.pt")
        #expect(file.findings.contains { $0.rule == "archive.decompression-limit" && $0.severity == .high })
        #expect(file.verdict == .unsafe)
    }

    @Test func deeplyNestedArchivesStopAtTheNestingLimit() {
        var bytes = ScanCorpus.benign[0].bytes
        for level in 0..<12 {
            var zip = ZipWriter()
            zip.add("level\(level).zip", bytes)
            bytes = zip.bytes()
        }
        let file = scanner.scan(bytes: bytes, name: "nested.zip")
        #expect(file.findings.contains { $0.rule == "archive.nesting-limit" })
    }

    @Test func hugeDeclaredLengthsAreRefusedWithoutAllocating() {
        // BINBYTES8 claiming 2^60 bytes, BINUNICODE claiming 4 GiB.
        var huge = PickleWriter(protocol: 4)
        huge.op(0x8e)
        huge.raw([0, 0, 0, 0, 0, 0, 0, 0x10])
        let file = scanner.scan(bytes: huge.bytes, name: "huge.pkl")
        #expect(file.findings.contains { $0.rule == "pickle.malformed" })
        var unicode = PickleWriter(protocol: 4)
        unicode.op(0x58)
        unicode.raw([0xff, 0xff, 0xff, 0xff])
        #expect(scanner.scan(bytes: unicode.bytes, name: "huge2.pkl").findings.contains { $0.rule == "pickle.malformed" })
    }

    @Test func deepNestingOfTuplesAndListsStaysBounded() {
        var writer = PickleWriter(protocol: 4)
        for _ in 0..<200_000 { writer.mark() }
        for _ in 0..<200_000 { writer.tuple() }
        writer.stop()
        let file = scanner.scan(bytes: writer.bytes, name: "deep.pkl")
        #expect(file.format == .pickle)
        var lists = PickleWriter(protocol: 4)
        lists.emptyList()
        for _ in 0..<100_000 { lists.emptyList(); lists.append() }
        lists.stop()
        _ = scanner.scan(bytes: lists.bytes, name: "lists.pkl")
    }

    @Test func memoAbuseStopsAtTheMemoLimit() {
        var limits = PickleMachine.Limits()
        limits.maxMemo = 1_000
        var writer = PickleWriter(protocol: 4)
        writer.string("x")
        for _ in 0..<2_000 { writer.memoize() }
        writer.stop()
        var reader = PickleReader(source: MemorySource(name: "memo", bytes: writer.bytes))
        let analysis = PickleMachine.analyse(&reader, options: PickleMachine.Options(limits: limits))
        #expect(analysis.anomalies.contains { $0.kind == .limit })
        // The same memo pattern far below the default limits is fine.
        #expect(!scanner.scan(bytes: writer.bytes, name: "memo.pkl").findings.contains { $0.severity >= .high })
    }

    @Test func openMarksAndCallChainsStayBounded() {
        var limits = PickleMachine.Limits()
        limits.maxStack = 1_000
        var marks = PickleWriter(protocol: 4)
        for _ in 0..<5_000 { marks.mark() }
        var reader = PickleReader(source: MemorySource(name: "marks", bytes: marks.bytes))
        #expect(PickleMachine.analyse(&reader, options: PickleMachine.Options(limits: limits)).anomalies.contains { $0.kind == .limit })
        // 20 000 chained calls of computed callables, each with nested arguments: descriptions stay short.
        var chain = PickleWriter(protocol: 4)
        chain.stackGlobal("warden_test", "f")
        for _ in 0..<20_000 {
            chain.mark(); chain.get(0); chain.mark(); chain.int(1); chain.tuple(); chain.tuple()
            chain.reduce()
        }
        chain.stop()
        var bytes = chain.bytes
        bytes.insert(0x94, at: bytes.firstIndex(of: 0x93)! + 1)  // MEMOIZE the global as memo 0
        let file = scanner.scan(bytes: bytes, name: "chain.pkl")
        #expect(file.findings.count <= 501)
        #expect(file.findings.allSatisfy { ($0.construct?.count ?? 0) < 400 })
    }

    @Test func memberNamesAreNeverUsedAsPaths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var zip = ZipWriter()
        zip.add("../../escape.pkl", ScanCorpus.systemPickle())
        zip.add("/etc/absolute.pkl", ScanCorpus.benignDictPickle())
        let path = try directory.write("work/traversal.zip", zip.bytes())
        let report = try scanner.scan(path: path)
        let file = try #require(report.files.first)
        #expect(file.findings.filter { $0.rule == "archive.unsafe-member-name" }.count == 2)
        #expect(file.findings.contains { $0.construct == "posix.system" && $0.location.member == "../../escape.pkl" })
        #expect(FileIO.kind(of: directory.url("escape.pkl")) == .missing && FileIO.kind(of: directory.path + "/../escape.pkl") == .missing)
    }

    @Test func duplicateAndPrefixedArchivesAreFindings() {
        var zip = ZipWriter()
        zip.add("archive/data.pkl", ModelFileFactory.stateDictPickle())
        zip.add("archive/data.pkl", ScanCorpus.systemPickle())
        let duplicate = scanner.scan(bytes: zip.bytes(), name: "dup.pt")
        #expect(duplicate.findings.contains { $0.rule == "archive.duplicate-member" })
        #expect(duplicate.findings.contains { $0.construct == "posix.system" })
        // A pickle glued before a torch zip: both halves are analysed.
        let polyglot = ScanCorpus.systemPickle() + ModelFileFactory.torchZip()
        let file = scanner.scan(bytes: polyglot, name: "polyglot.pt")
        #expect(file.findings.contains { $0.rule == "archive.polyglot" })
        #expect(file.findings.contains { $0.construct == "posix.system" })
    }

    /// Every truncation and random bit flips of every corpus file: the scanner reports, never crashes.
    @Test(arguments: ScanCorpus.all)
    func robustToTruncationAndBitFlips(_ item: ScanCorpus.Case) {
        let outcome = ParserVerifier.verify(item.bytes, flips: 60, maxTruncations: 150) { bytes in
            _ = scanner.scan(bytes: bytes, name: item.name)
        }
        #expect(outcome.parsed + outcome.rejected > 60)
    }
}
