import WardenCore

extension DataRepository {
    /// How a file of a version is named in errors: `data/t.csv@3fa9c1…` or `data/images@3fa9c1… a/b.csv`.
    private func label(_ path: String, _ version: DataVersion, _ file: String) -> String {
        "\(path)@\(version.digest.hex.prefix(12))" + (version.kind == .directory ? " \(file)" : "")
    }

    /// Compares two recorded versions of `path` (digests or unique prefixes).
    public func diff(_ path: String, from a: String, to b: String, key: String? = nil) throws -> DatasetDiff {
        let relative = try relativePath(of: path)
        let old = try resolve(version: a, for: path)
        let new = try resolve(version: b, for: path)
        let oldManifest = try manifest(of: old, relative: relative)
        let newManifest = try manifest(of: new, relative: relative)
        let files = oldManifest.changes(to: newManifest)
        let oldDigests = Dictionary(oldManifest.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { x, _ in x })
        let newDigests = Dictionary(newManifest.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { x, _ in x })
        var rows: [DatasetDiff.RowChanges] = []
        for file in files.changed {
            guard let format = RowDiff.Format.guess(file), let before = oldDigests[file], let after = newDigests[file] else { continue }
            try requireObject(before, for: "\(path)@\(old.digest) \(file)")
            try requireObject(after, for: "\(path)@\(new.digest) \(file)")
            rows.append(
                try RowDiff.compare(
                    old: cache.path(for: before), new: cache.path(for: after), format: format, key: key, name: file,
                    oldLabel: label(path, old, file), newLabel: label(path, new, file)))
        }
        try audit.append(actor: actor, action: "data.diff", subject: "\(relative)@\(new.digest)", details: ["from": .string(old.digest.description), "to": .string(new.digest.description)])
        return DatasetDiff(
            from: old.digest, to: new.digest, filesAdded: files.added, filesRemoved: files.removed, filesChanged: files.changed,
            rows: rows)
    }
}
