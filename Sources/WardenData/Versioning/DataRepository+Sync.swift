import Foundation
import WardenCore

extension DataRepository {
    /// What a push or pull moved.
    public struct Synced: Sendable {
        public var copied: Int
        public var alreadyThere: Int
        /// Objects that neither side has (pull: missing on the remote).
        public var missing: [Digest]
    }

    /// Every object the recorded versions need: files, and manifests with their files.
    func referencedObjects(versions: [(DataVersion, String)], from store: BlobStore) throws -> (objects: [Digest], missing: [Digest]) {
        var seen = Set<Digest>()
        var out: [Digest] = []
        var missing: [Digest] = []
        func add(_ digest: Digest) {
            if seen.insert(digest).inserted { out.append(digest) }
        }
        for (version, relative) in versions {
            add(version.digest)
            if version.kind == .directory {
                guard store.contains(version.digest) else {
                    missing.append(version.digest)
                    continue
                }
                let bytes = try store.read(version.digest)
                let manifest = try DatasetManifest(json: try JSONParser().parse(bytes, source: "manifest of \(relative)"), source: "manifest of \(relative)")
                manifest.entries.forEach { add($0.digest) }
            }
        }
        return (out, missing)
    }

    /// All versions of all datasets recorded in this repository.
    func allVersions() throws -> [(DataVersion, String)] {
        let folder = metaPath + "/versions"
        guard FileIO.kind(of: folder) == .directory else { return [] }
        var out: [(DataVersion, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".jsonl") {
            let parser = JSONParser(maxDepth: 16, maxBytes: 1 << 20)
            try FileIO.forEachLine(of: folder + "/" + name) { line, number in
                if line.isEmpty { return }
                let source = "'\(folder)/\(name)' line \(number)"
                out.append((try DataVersion(json: try parser.parse(line, source: source), source: source), name))
            }
        }
        return out
    }

    /// Copies every object of every recorded version to a remote store (a folder now; the
    /// `BlobStore` layout is what an S3-compatible remote will mirror).
    public func push(to remote: String) throws -> Synced {
        let target = BlobStore(root: remote)
        try FileIO.makeDirectory(remote)
        let needed = try referencedObjects(versions: try allVersions(), from: cache)
        var copied = 0
        var there = 0
        var missing = needed.missing
        for digest in needed.objects {
            if !cache.contains(digest) {
                missing.append(digest)
                continue
            }
            if try cache.copy(digest, to: target) { copied += 1 } else { there += 1 }
        }
        try audit.append(actor: actor, action: "data.push", subject: remote, details: ["copied": .int(Int64(copied))])
        return Synced(copied: copied, alreadyThere: there, missing: missing)
    }

    /// Fetches from a remote the objects of `path`'s current version (or of every recorded version).
    public func pull(from remote: String, path: String? = nil) throws -> Synced {
        let source = BlobStore(root: remote)
        guard FileIO.kind(of: remote) == .directory else {
            throw WardenError.notFound("The remote '\(remote)' does not exist")
        }
        var versions: [(DataVersion, String)]
        if let path {
            let pointer = try self.pointer(for: path)
            versions = [(DataVersion(digest: pointer.digest, kind: pointer.kind, size: pointer.size, fileCount: pointer.fileCount, time: "", actor: ""), pointer.path)]
        } else {
            versions = try allVersions()
        }
        // Manifests first, so their files can be listed.
        var copied = 0
        for (version, _) in versions where version.kind == .directory && !cache.contains(version.digest) && source.contains(version.digest) {
            try source.copy(version.digest, to: cache)
            copied += 1
        }
        let needed = try referencedObjects(versions: versions, from: cache)
        var there = 0
        var missing = needed.missing
        for digest in needed.objects {
            if cache.contains(digest) {
                if !versions.contains(where: { $0.0.digest == digest && $0.0.kind == .directory }) { there += 1 }
            } else if source.contains(digest) {
                try source.copy(digest, to: cache)
                copied += 1
            } else {
                missing.append(digest)
            }
        }
        try audit.append(actor: actor, action: "data.pull", subject: remote, details: ["copied": .int(Int64(copied))])
        return Synced(copied: copied, alreadyThere: there, missing: missing)
    }
}
