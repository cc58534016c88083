import WardenCore

extension DataRepository {
    /// What `checkout` did.
    public struct CheckedOut: Sendable {
        public var pointer: DataPointer
        public var restored: [String]
        public var removed: [String]
        public var unchanged: Int
    }

    /// Restores `path` byte for byte to `version` (default: the pointer's), verifying every byte
    /// against its digest on the way; files of a folder that are not in that version are removed.
    public func checkout(_ path: String, version: String? = nil) throws -> CheckedOut {
        let relative = try relativePath(of: path)
        let current = try pointer(for: path)
        let target: DataVersion
        if let version {
            target = try resolve(version: version, for: path)
        } else {
            target = DataVersion(
                digest: current.digest, kind: current.kind, size: current.size, fileCount: current.fileCount,
                time: clock.timestamp(), actor: actor)
        }
        let absolute = absolutePath(relative)
        var restored: [String] = []
        var removed: [String] = []
        var unchanged = 0
        switch target.kind {
        case .file:
            guard FileIO.kind(of: absolute) != .directory else {
                throw WardenError.invalidInput("'\(path)' is a folder now but version \(target.digest) is a file; move the folder away first")
            }
            if FileIO.kind(of: absolute) == .regular, try Digest.sha256(ofFile: absolute) == target.digest {
                unchanged = 1
            } else {
                try requireObject(target.digest, for: path)
                try cache.export(target.digest, to: absolute)
                restored = [relative]
            }
        case .directory:
            guard FileIO.kind(of: absolute) != .regular else {
                throw WardenError.invalidInput("'\(path)' is a file now but version \(target.digest) is a folder; move the file away first")
            }
            try requireObject(target.digest, for: path)
            let manifest = try self.manifest(of: target, relative: relative)
            let present = FileIO.kind(of: absolute) == .directory ? try FileTree().files(under: absolute) : []
            let wanted = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            for entry in present where wanted[entry.relativePath] == nil {
                try FileIO.removeFile(entry.absolutePath)
                removed.append(entry.relativePath)
            }
            let sizes = Dictionary(present.map { ($0.relativePath, $0.size) }, uniquingKeysWith: { a, _ in a })
            for entry in manifest.entries {
                let file = absolute + "/" + entry.path
                if sizes[entry.path] == entry.size, try Digest.sha256(ofFile: file) == entry.digest {
                    unchanged += 1
                    continue
                }
                try requireObject(entry.digest, for: "\(path)/\(entry.path)")
                try cache.export(entry.digest, to: file)
                restored.append(entry.path)
            }
        }
        let pointer = DataPointer(path: relative, kind: target.kind, digest: target.digest, size: target.size, fileCount: target.fileCount)
        try pointer.write(to: pointerPath(relative))
        try audit.append(
            actor: actor, action: "data.checkout", subject: "\(relative)@\(target.digest)",
            details: ["restored": .int(Int64(restored.count)), "removed": .int(Int64(removed.count))])
        return CheckedOut(pointer: pointer, restored: restored, removed: removed, unchanged: unchanged)
    }

    func requireObject(_ digest: Digest, for what: String) throws(WardenError) {
        guard cache.contains(digest) else {
            throw .notFound("The cache has no copy of '\(what)' (\(digest)); run `warden data pull --remote DIR` first")
        }
    }
}
