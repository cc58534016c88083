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
    ///
    /// Nothing is changed until the whole checkout is known to be possible: every object it needs
    /// is in the cache, and no file it would overwrite or remove holds content that only exists in
    /// the working tree (an edit or a new file not yet `add`ed). Such files make it refuse, naming
    /// them, unless `force` is set — as `dvc checkout` refuses without `--force`.
    /// - Throws: ``WardenError`` `notFound` for a missing cache object, `invalidInput` for unsaved
    ///   changes; in both cases before anything was written.
    public func checkout(_ path: String, version: String? = nil, force: Bool = false) throws -> CheckedOut {
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
        let plan = try checkoutPlan(path, relative: relative, absolute: absolute, target: target)
        if let missing = plan.writes.first(where: { !cache.contains($0.digest) }) {
            let count = Set(plan.writes.filter { !cache.contains($0.digest) }.map(\.digest)).count
            throw WardenError.notFound(
                "The cache has no copy of '\(missing.name)' (\(missing.digest))\(count > 1 ? " and \(count - 1) other object(s)" : ""); run `warden data pull --remote DIR` first; nothing was changed")
        }
        if !force && !plan.unsaved.isEmpty {
            let names = plan.unsaved.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = plan.unsaved.count > 5 ? " and \(plan.unsaved.count - 5) more" : ""
            throw WardenError.invalidInput(
                "Checkout would discard changes that are not in the cache: \(names)\(more); run `warden data add \(path)` to keep them as a version, or pass --force to discard them; nothing was changed")
        }
        for file in plan.removals { try FileIO.removeFile(file.absolute) }
        for write in plan.writes { try cache.export(write.digest, to: write.absolute) }
        let pointer = DataPointer(path: relative, kind: target.kind, digest: target.digest, size: target.size, fileCount: target.fileCount)
        try pointer.write(to: pointerPath(relative))
        try audit.append(
            actor: actor, action: "data.checkout", subject: "\(relative)@\(target.digest)",
            details: ["restored": .int(Int64(plan.writes.count)), "removed": .int(Int64(plan.removals.count)), "forced": .bool(force && !plan.unsaved.isEmpty)])
        return CheckedOut(
            pointer: pointer, restored: plan.writes.map(\.name), removed: plan.removals.map(\.name), unchanged: plan.unchanged)
    }

    /// What a checkout will do, decided before it does anything.
    struct CheckoutPlan {
        struct Write {
            /// The path reported (relative to the repository for a file, to the folder for folder entries).
            var name: String
            var absolute: String
            var digest: Digest
        }
        var writes: [Write] = []
        var removals: [(name: String, absolute: String)] = []
        var unchanged = 0
        /// Files to be overwritten or removed whose content the cache does not hold.
        var unsaved: [String] = []
    }

    func checkoutPlan(_ path: String, relative: String, absolute: String, target: DataVersion) throws -> CheckoutPlan {
        var plan = CheckoutPlan()
        switch target.kind {
        case .file:
            guard FileIO.kind(of: absolute) != .directory else {
                throw WardenError.invalidInput("'\(path)' is a folder now but version \(target.digest) is a file; move the folder away first")
            }
            if FileIO.kind(of: absolute) == .regular {
                let digest = try Digest.sha256(ofFile: absolute)
                if digest == target.digest {
                    plan.unchanged = 1
                    return plan
                }
                if !cache.contains(digest) { plan.unsaved.append(relative) }
            }
            plan.writes = [.init(name: relative, absolute: absolute, digest: target.digest)]
        case .directory:
            guard FileIO.kind(of: absolute) != .regular else {
                throw WardenError.invalidInput("'\(path)' is a file now but version \(target.digest) is a folder; move the file away first")
            }
            try requireObject(target.digest, for: path)
            let manifest = try self.manifest(of: target, relative: relative)
            let present = FileIO.kind(of: absolute) == .directory ? try FileTree().files(under: absolute) : []
            let digests = try ParallelHashing.sha256(present.map(\.absolutePath), concurrency: concurrency)
            let now = Dictionary(zip(present.map(\.relativePath), digests).map { ($0, $1) }, uniquingKeysWith: { a, _ in a })
            let wanted = Set(manifest.entries.map(\.path))
            for (entry, digest) in zip(present, digests) where !wanted.contains(entry.relativePath) {
                plan.removals.append((entry.relativePath, entry.absolutePath))
                if !cache.contains(digest) { plan.unsaved.append(relative + "/" + entry.relativePath) }
            }
            for entry in manifest.entries {
                if let digest = now[entry.path] {
                    if digest == entry.digest {
                        plan.unchanged += 1
                        continue
                    }
                    if !cache.contains(digest) { plan.unsaved.append(relative + "/" + entry.path) }
                }
                plan.writes.append(.init(name: entry.path, absolute: absolute + "/" + entry.path, digest: entry.digest))
            }
        }
        return plan
    }

    func requireObject(_ digest: Digest, for what: String) throws(WardenError) {
        guard cache.contains(digest) else {
            throw .notFound("The cache has no copy of '\(what)' (\(digest)); run `warden data pull --remote DIR` first")
        }
    }
}
