import Foundation
import Hummingbird
import WardenCore
import WardenRegistry

/// What every upload path (native and MLflow) shares: streaming bodies into the blob store and
/// the checks a new version records.
extension RegistryServer {
    /// Streams a request body into the artefact store (encrypting when a keyring is set). A body
    /// over ``maxArtefactBytes`` is refused with 413 and leaves nothing.
    func receiveBlob(_ request: Request) async throws -> ArtefactStore.ReceivedBlob {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxArtefactBytes {
            throw APIError(.contentTooLarge, "REQUEST_TOO_LARGE", "artefacts are limited to \(maxArtefactBytes) bytes")
        }
        return try await artefacts.receive(request.body, limit: maxArtefactBytes)
    }

    /// Uploads cut off by a crash (`kill -9`, power loss) leave their temp files in `blobs/tmp`;
    /// they are never visible, but would fill the disk over many crashes. On start, files older
    /// than this are removed (younger ones may belong to another replica's upload in progress).
    static let staleUploadSeconds: TimeInterval = 24 * 3600

    /// Folders of decrypted artefacts the upload checks lay out in `DATA/tmp` (removed when the
    /// checks end) that a crash left behind are removed on start once they are this old.
    static let staleCheckSeconds: TimeInterval = 3600

    /// Removes the temp files in `folder` last written before `date`; returns how many.
    @discardableResult
    static func removeStaleUploads(in folder: String, before date: Date) -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed = 0
        for name in files where name.hasPrefix(".") && name.contains(".tmp-") {
            let path = folder + "/" + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < date else { continue }
            if (try? FileIO.removeFile(path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Removes the `verify-…` folders in `folder` last changed before `date`; returns how many.
    @discardableResult
    static func removeStaleChecks(in folder: String, before date: Date) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed = 0
        for name in names where name.hasPrefix("verify-") {
            let path = folder + "/" + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < date else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Refuses (403, audited) a principal that may upload nowhere.
    func requireUploader(_ principal: Principal, subject: String) async throws {
        let may = principal.roles.contains { $0.actions.contains(.uploadVersion) } || principal.grants.contains { $0.role.actions.contains(.uploadVersion) }
        guard may else {
            try await registry.store.appendAudit(registry.draft(principal, "auth.denied", subject, ["action": "version.upload"]))
            throw Registry.Refusal.forbidden("'\(principal.name)' may not upload artefacts")
        }
    }

    /// A new version of `model` with the upload checks run: the signature and provenance (blob
    /// digests) verified against the trusted keys over exactly `artefacts`, and every artefact
    /// scanned (WardenScan; the report is kept as a blob).
    func versionDraft(
        model: String, artefacts: [ModelVersion.Artefact], signature: WardenCore.Digest?, provenance: WardenCore.Digest?, lineage: ModelVersion.Lineage
    ) throws -> ModelVersion {
        guard !artefacts.isEmpty else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "a version needs at least one artefact") }
        guard Set(artefacts.map(\.path)).count == artefacts.count else { throw APIError(.badRequest, "INVALID_PARAMETER_VALUE", "artefact paths repeat") }
        let checks = UploadChecks(store: self.artefacts, trustedKeys: trustedKeys, scratch: dataDirectory + "/tmp", storedReports: storedScanReports)
        var lineage = lineage
        let signed = try signature.map { try checks.signature($0, artefacts: artefacts) }
        var attested: ModelVersion.Check?
        if let provenance {
            lineage.provenanceDigest = provenance
            attested = try checks.provenance(provenance, artefacts: artefacts)
        }
        return ModelVersion(
            model: model, version: 0, artefacts: artefacts, lineage: lineage, uploader: "", createdAt: 0, signature: signed, provenance: attested,
            scan: try checks.scan(artefacts))
    }
}
