import Foundation
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenScan

/// What the registry verifies when a version is uploaded: the OMS signature over exactly the
/// uploaded artefacts, and a provenance attestation whose subjects include every artefact — each
/// with one of the trusted keys.
struct UploadChecks {
    let store: ArtefactStore
    let trustedKeys: [PublicKey]
    let scratch: String
    /// Reports already stored, to skip re-encoding an equal one (nil: always encode and store).
    var storedReports: StoredScanReports? = nil

    /// Lays the artefacts out as a model folder (``layOut(_:)``) and verifies the
    /// signature with each trusted key until one verifies.
    func signature(_ digest: WardenCore.Digest, artefacts: [ModelVersion.Artefact]) throws -> ModelVersion.Check {
        let bundle = try SigstoreBundle(parsing: try store.read(digest, limit: 64 << 20), source: "signature \(digest)")
        guard !trustedKeys.isEmpty else { return .init(passed: false, detail: "the server trusts no signing keys (start it with --trusted-key)") }
        let folder = try layOut(artefacts)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var details: [String] = []
        for key in trustedKeys {
            let report = try ModelVerifier(key: key).verify(modelAt: folder + "/model", bundle: bundle, source: "signature \(digest)")
            if report.verified { return .init(passed: true, keyID: key.keyID, detail: "verified (\(report.resourceCount) resources)") }
            details.append(report.failures.map(\.summary).joined(separator: "; "))
        }
        return .init(passed: false, detail: "no trusted key verifies the signature: " + details.joined(separator: " | "))
    }

    /// The artefacts as a model folder `FOLDER/model/PATH` of hard links into the blob store (copies
    /// where links are impossible; decrypted copies, mode 0600, when blobs are encrypted — the
    /// scanner and verifier read files); the caller removes FOLDER.
    func layOut(_ artefacts: [ModelVersion.Artefact]) throws -> String {
        try FileIO.makeDirectory(scratch)
        let folder = scratch + "/verify-" + UUID().uuidString.lowercased()
        for artefact in artefacts {
            let target = folder + "/model/" + artefact.path
            try FileIO.makeDirectory(FileIO.parentDirectory(of: target))
            try store.materialise(artefact.digest, at: target)
        }
        return folder
    }

    /// Scans every artefact with WardenScan (under its own name) and stores the JSON report as a
    /// blob; the outcome (highest severity, count, report digest) is what the `scan` gate reads.
    /// Plain blobs are scanned where they are (the scanner detects formats from the bytes, and
    /// reports under the artefact's name); encrypted ones from a decrypted layout.
    func scan(_ artefacts: [ModelVersion.Artefact]) throws -> ModelVersion.ScanOutcome {
        let folder = store.keyring == nil ? nil : try layOut(artefacts)
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        let scanner = Scanner()
        var files: [ScanReport.File] = []
        for artefact in artefacts {
            let file = folder.map { $0 + "/model/" + artefact.path } ?? store.blobs.path(for: artefact.digest)
            files.append(try scanner.scanFile(at: file, displayPath: artefact.path))
        }
        let report = ScanReport(threshold: scanner.options.threshold, files: files)
        let stored: WardenCore.Digest
        if let known = storedReports?.digest(of: report), store.contains(known) {
            stored = known
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            stored = try store.put(bytes: Array(try encoder.encode(report)))
            storedReports?.remember(report, as: stored)
        }
        return .init(highestSeverity: report.highestSeverity?.rawValue, findings: report.findings.count, reportDigest: stored)
    }

    /// Verifies a DSSE provenance envelope with the trusted keys; every artefact must be a subject.
    func provenance(_ digest: WardenCore.Digest, artefacts: [ModelVersion.Artefact]) throws -> ModelVersion.Check {
        let envelope = try AttestationVerifier.envelope(from: try store.read(digest, limit: 64 << 20), source: "provenance \(digest)")
        for key in trustedKeys {
            let report = try AttestationVerifier(key: key).verify(envelope, source: "provenance \(digest)", files: artefacts.map { ($0.path, $0.digest) })
            guard report.signatureValid else { continue }
            let missing = report.subjectChecks.filter { !$0.matches }.map(\.path)
            if missing.isEmpty { return .init(passed: true, keyID: key.keyID, detail: "verified (\(report.predicateType ?? "?"))") }
            return .init(passed: false, keyID: key.keyID, detail: "the attestation does not name: " + missing.joined(separator: ", "))
        }
        return .init(passed: false, detail: "no trusted key verifies the provenance attestation")
    }
}
