import Foundation
import Testing
import WardenCore
import WardenScan
import WardenTesting

extension ScanCorpus.Case: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The labelled corpus: every malicious file is caught at the default threshold, no benign file is.
struct ScanCorpusTests {
    static let scanner = Scanner()

    @Test(arguments: ScanCorpus.malicious)
    func maliciousFileIsCaught(_ item: ScanCorpus.Case) {
        let file = Self.scanner.scan(bytes: item.bytes, name: item.name)
        #expect(file.verdict == .unsafe, "\(item.technique): \(file.findings.map { "\($0.severity) \($0.rule) \($0.construct ?? "")" })")
        #expect(file.format != .unknown)
    }

    @Test(arguments: ScanCorpus.benign)
    func benignFileStaysClean(_ item: ScanCorpus.Case) {
        let file = Self.scanner.scan(bytes: item.bytes, name: item.name)
        #expect(!file.findings.contains { $0.severity >= .high }, "\(item.technique): \(file.findings.map { "\($0.severity) \($0.rule) \($0.message)" })")
        #expect(file.format != .unknown)
    }

    @Test func corpusCoversTheSpecsCounts() {
        #expect(ScanCorpus.malicious.count >= 40)
        #expect(ScanCorpus.benign.count >= 30)
        #expect(Set(ScanCorpus.all.map(\.name)).count == ScanCorpus.all.count)
    }

    /// `WARDEN_SCAN_CORPUS_OUT=DIR swift test --filter writeCorpus` writes the corpus for the
    /// side-by-side comparison (scripts/interop/scan_compare.sh).
    @Test func writeCorpus() throws {
        guard let out = ProcessInfo.processInfo.environment["WARDEN_SCAN_CORPUS_OUT"] else { return }
        for item in ScanCorpus.all {
            let file = out + "/" + (item.malicious ? "malicious" : "benign") + "/" + item.family + "/" + item.name
            try FileIO.makeDirectory(FileIO.parentDirectory(of: file))
            try FileIO.writeAtomically(item.bytes, to: file)
        }
    }
}
