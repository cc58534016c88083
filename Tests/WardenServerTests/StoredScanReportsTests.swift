import Foundation
import Testing
import WardenCore
import WardenRegistry
import WardenScan
import WardenTesting

@testable import WardenServer

/// An upload whose scan report equals one already stored reuses its digest (no second encoding),
/// gets exactly what a fresh encoding gives, and stores the report again once the blob is gone.
struct StoredScanReportsTests {
    @Test func anEqualReportReusesItsStoredDigestWhileTheBlobExists() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try ArtefactStore.open(root: folder.url("blobs"), keyring: nil)
        let weights = try store.put(bytes: Array("not a model".utf8))
        let other = try store.put(bytes: Array("another file".utf8))
        let artefacts: [ModelVersion.Artefact] = [.init(path: "model/weights.bin", digest: weights, size: 11)]
        let memo = StoredScanReports()
        let remembering = UploadChecks(store: store, trustedKeys: [], scratch: folder.url("tmp"), storedReports: memo)
        let plain = UploadChecks(store: store, trustedKeys: [], scratch: folder.url("tmp"))

        let first = try remembering.scan(artefacts)
        let report = try #require(first.reportDigest)
        #expect(try remembering.scan(artefacts) == first)
        #expect(try plain.scan(artefacts) == first, "a fresh encoding gives the same digest")
        #expect(try Digest.sha256(store.read(report, limit: 1 << 20)) == report)

        // Another path or file is another report.
        let renamed = try remembering.scan([.init(path: "model/other.bin", digest: weights, size: 11)])
        #expect(renamed.reportDigest != report)
        #expect(try remembering.scan([.init(path: "model/weights.bin", digest: other, size: 12)]).reportDigest != report)

        // A report blob that is gone is stored again, not named while missing.
        try FileIO.removeFile(store.blobs.path(for: report))
        #expect(!store.contains(report))
        #expect(try remembering.scan(artefacts) == first)
        #expect(store.contains(report))
    }

    @Test func theMemoStaysWithinItsCapacity() throws {
        let memo = StoredScanReports(capacity: 2)
        let reports = (0..<5).map { ScanReport(threshold: .high, files: [.init(path: "f\($0)", size: 1, format: .unknown, findings: [], verdict: .clean)]) }
        for (n, report) in reports.enumerated() { memo.remember(report, as: Digest.sha256("\(n)")) }
        #expect(memo.digest(of: reports[4]) == Digest.sha256("4"))
        #expect(memo.digest(of: reports[0]) == nil)
    }
}
