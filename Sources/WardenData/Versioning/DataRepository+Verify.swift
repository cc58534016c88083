import WardenCore

extension DataRepository {
    /// The result of re-hashing a dataset against its pointer.
    public struct Verification: Sendable {
        public var pointer: DataPointer
        public var actualDigest: Digest?
        public var added: [String]
        public var removed: [String]
        /// Changed files with expected and actual digests.
        public var changed: [(path: String, expected: Digest, actual: Digest)]
        public var ok: Bool { actualDigest == pointer.digest }
    }

    /// Re-hashes `path` and compares it with its pointer, naming every file that differs.
    public func verify(_ path: String) throws -> Verification {
        let relative = try relativePath(of: path)
        let pointer = try self.pointer(for: path)
        let absolute = absolutePath(relative)
        guard FileIO.kind(of: absolute) != .missing else {
            return Verification(
                pointer: pointer, actualDigest: nil, added: [], removed: [relative], changed: [])
        }
        let current = try scan(absolute, name: FileIO.lastComponent(of: relative))
        let recorded: DatasetManifest
        if pointer.kind == .directory, cache.contains(pointer.digest) {
            recorded = try manifest(of: DataVersion(digest: pointer.digest, kind: .directory, size: pointer.size, fileCount: pointer.fileCount, time: "", actor: ""), relative: relative)
        } else if pointer.kind == .file {
            recorded = DatasetManifest(entries: [.init(path: FileIO.lastComponent(of: relative), digest: pointer.digest, size: pointer.size)])
        } else {
            // Without the manifest only the totals can be compared.
            recorded = DatasetManifest(entries: [])
        }
        let actualDigest = pointer.kind == .file && current.manifest.entries.count == 1 && FileIO.kind(of: absolute) == .regular
            ? current.manifest.entries[0].digest : current.manifest.digest
        let changes = recorded.changes(to: current.manifest)
        let old = Dictionary(recorded.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(current.manifest.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        var result = Verification(
            pointer: pointer, actualDigest: actualDigest, added: changes.added, removed: changes.removed,
            changed: changes.changed.map { ($0, old[$0]!, new[$0]!) })
        if recorded.entries.isEmpty && pointer.kind == .directory { result.added = [] }
        try audit.append(
            actor: actor, action: "data.verify", subject: "\(relative)@\(pointer.digest)",
            details: ["ok": .bool(result.ok)])
        return result
    }

    /// Hashes a file or folder into a manifest without storing anything.
    func scan(_ absolute: String, name: String) throws -> (manifest: DatasetManifest, isFile: Bool) {
        let entries = try FileTree().files(under: absolute)
        let digests = try ParallelHashing.sha256(entries.map(\.absolutePath), concurrency: concurrency)
        let isFile = FileIO.kind(of: absolute) == .regular
        let manifest = DatasetManifest(
            entries: zip(entries, digests).map { .init(path: isFile ? name : $0.relativePath, digest: $1, size: $0.size) })
        return (manifest, isFile)
    }
}
