import Dispatch
import Foundation
import Synchronization
import WardenCore

/// A folder whose datasets Warden versions, as DVC does: content in a deduplicated,
/// content-addressed cache (`.warden/cache`), a small pointer file `PATH.warden` beside each dataset
/// for git, a version log per dataset, and an audit chain (`.warden/audit.jsonl`) of every command.
public struct DataRepository: Sendable {
    /// The folder holding `.warden/` (absolute).
    public let root: String
    public var clock: WardenClock
    /// Who acts, recorded in versions and audit events (`user@host` for the CLI).
    public var actor: String
    public var concurrency: Int

    public static let metaFolder = ".warden"

    public var metaPath: String { root + "/" + Self.metaFolder }
    public var cache: BlobStore { BlobStore(root: metaPath + "/cache") }
    public var audit: AuditLogFile { AuditLogFile(path: metaPath + "/audit.jsonl", clock: clock) }

    init(root: String, clock: WardenClock, actor: String, concurrency: Int) {
        self.root = root
        self.clock = clock
        self.actor = actor
        self.concurrency = max(1, concurrency)
    }

    /// The repository that contains `path`: the nearest folder upwards holding `.warden/`. With
    /// `create`, a missing repository is created in `createAt` (default: the current folder).
    public static func open(
        containing path: String, create: Bool = false, createAt: String? = nil, clock: WardenClock = .system,
        actor: String = DataRepository.defaultActor,
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(WardenError) -> DataRepository {
        let absolute = Self.absolute(path)
        var folder = FileIO.kind(of: absolute) == .directory ? absolute : FileIO.parentDirectory(of: absolute)
        while true {
            if FileIO.kind(of: folder + "/" + metaFolder) == .directory {
                return DataRepository(root: folder, clock: clock, actor: actor, concurrency: concurrency)
            }
            if folder == "/" || folder.isEmpty { break }
            folder = FileIO.parentDirectory(of: folder)
        }
        guard create else {
            throw .notFound("No Warden data repository holds '\(path)'; run `warden data add` inside the project folder first")
        }
        let root = Self.absolute(createAt ?? FileManager.default.currentDirectoryPath)
        guard absolute == root || absolute.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw .invalidInput("'\(path)' is outside the current folder '\(root)'; run the command from the project folder that holds the data")
        }
        try FileIO.makeDirectory(root + "/" + metaFolder + "/cache")
        try FileIO.writeAtomically("cache/\ntmp/\n", to: root + "/" + metaFolder + "/.gitignore")
        return DataRepository(root: root, clock: clock, actor: actor, concurrency: concurrency)
    }

    public static var defaultActor: String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `path` relative to the repository root; it must lie inside.
    public func relativePath(of path: String) throws(WardenError) -> String {
        let absolute = Self.absolute(path)
        guard absolute.hasPrefix(root + "/"), absolute.count > root.count + 1 else {
            throw .invalidInput("'\(path)' is not inside the data repository '\(root)'")
        }
        let relative = String(absolute.dropFirst(root.count + 1))
        guard !relative.hasPrefix(Self.metaFolder + "/") && relative != Self.metaFolder else {
            throw .invalidInput("'\(path)' is inside Warden's own folder \(Self.metaFolder)/")
        }
        return relative
    }

    func absolutePath(_ relative: String) -> String { root + "/" + relative }
    func pointerPath(_ relative: String) -> String { absolutePath(relative) + DataPointer.suffix }
    func versionLogPath(_ relative: String) -> String { metaPath + "/versions/" + Digest.sha256(relative).hex + ".jsonl" }

    // MARK: add

    /// The result of `add`.
    public struct Added: Sendable {
        public var pointer: DataPointer
        public var version: DataVersion
        /// Bytes newly written to the cache (deduplicated content is not counted).
        public var newBytes: Int64
        /// False when the data equals the version already recorded.
        public var isNewVersion: Bool
    }

    /// Stores `path` (a file or folder) in the cache, writes its pointer and records a version.
    public func add(
        _ path: String, message: String? = nil, progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> Added {
        let relative = try relativePath(of: path)
        let absolute = absolutePath(relative)
        let entries = try FileTree().files(under: absolute)
        let total = entries.reduce(Int64(0)) { $0 + $1.size }
        let stored = try store(entries, total: total, progress: progress)
        let pointer: DataPointer
        var newBytes = stored.reduce(Int64(0)) { $0 + ($1.isNew ? $1.size : 0) }
        if FileIO.kind(of: absolute) == .regular {
            pointer = DataPointer(path: relative, kind: .file, digest: stored[0].digest, size: stored[0].size, fileCount: 1)
        } else {
            let manifest = DatasetManifest(
                entries: zip(entries, stored).map { .init(path: $0.relativePath, digest: $1.digest, size: $1.size) })
            let object = try cache.put(bytes: manifest.canonicalBytes)
            if object.isNew { newBytes += object.size }
            pointer = DataPointer(
                path: relative, kind: .directory, digest: manifest.digest, size: manifest.totalSize, fileCount: entries.count)
        }
        let previous = try versions(ofRelative: relative).last
        let version = DataVersion(
            digest: pointer.digest, kind: pointer.kind, size: pointer.size, fileCount: pointer.fileCount,
            time: clock.timestamp(), actor: actor, message: message)
        let isNew = previous?.digest != pointer.digest
        if isNew { try appendVersion(version, relative: relative) }
        try pointer.write(to: pointerPath(relative))
        try audit.append(
            actor: actor, action: "data.add", subject: "\(relative)@\(pointer.digest)",
            details: ["files": .int(Int64(pointer.fileCount)), "size": .int(pointer.size), "new_version": .bool(isNew)])
        return Added(pointer: pointer, version: isNew ? version : previous!, newBytes: newBytes, isNewVersion: isNew)
    }

    /// Stores every file, on every core, returning results in entry order.
    func store(
        _ entries: [FileTree.Entry], total: Int64, progress: (@Sendable (Int64, Int64) -> Void)?
    ) throws -> [BlobStore.Stored] {
        let results = Mutex([BlobStore.Stored?](repeating: nil, count: entries.count))
        let failure = Mutex<(any Error)?>(nil)
        let done = Atomic<Int64>(0)
        let next = Atomic<Int>(0)
        let cache = self.cache
        let batch = BlobStore.Batch(store: cache)
        DispatchQueue.concurrentPerform(iterations: min(concurrency, max(1, entries.count))) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < entries.count, failure.withLock({ $0 == nil }) else { return }
                var last: Int64 = 0
                do {
                    let stored = try cache.put(file: entries[index].absolutePath, batch: batch) { bytes in
                        let sum = done.wrappingAdd(bytes - last, ordering: .relaxed).newValue
                        last = bytes
                        progress?(sum, total)
                    }
                    results.withLock { $0[index] = stored }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) {
            batch.discard()
            throw error
        }
        try batch.commit()
        return results.withLock { $0.map { $0! } }
    }

    // MARK: versions

    public func versions(of path: String) throws -> [DataVersion] {
        try versions(ofRelative: try relativePath(of: path))
    }

    /// The versions of `path`, oldest first, for `warden data log` (a read, recorded in the audit
    /// chain with the digest the pointer names).
    public func log(_ path: String) throws -> [DataVersion] {
        let relative = try relativePath(of: path)
        let versions = try versions(ofRelative: relative)
        let current = try? pointer(for: path).digest
        try audit.append(
            actor: actor, action: "data.log", subject: current.map { "\(relative)@\($0)" } ?? relative,
            details: ["versions": .int(Int64(versions.count))])
        return versions
    }

    func versions(ofRelative relative: String) throws -> [DataVersion] {
        let log = versionLogPath(relative)
        guard FileIO.kind(of: log) == .regular else { return [] }
        var out: [DataVersion] = []
        let parser = JSONParser(maxDepth: 16, maxBytes: 1 << 20)
        try FileIO.forEachLine(of: log, maxLineLength: 1 << 20) { line, number in
            if line.isEmpty { return }
            let source = "'\(log)' line \(number)"
            out.append(try DataVersion(json: try parser.parse(line, source: source), source: source))
        }
        return out
    }

    func appendVersion(_ version: DataVersion, relative: String) throws {
        let log = versionLogPath(relative)
        try FileIO.makeDirectory(FileIO.parentDirectory(of: log))
        try FileIO.append(version.json.canonicalString + "\n", to: log)
    }

    /// The pointer of a tracked dataset.
    public func pointer(for path: String) throws(WardenError) -> DataPointer {
        let relative = try relativePath(of: path)
        let file = pointerPath(relative)
        guard FileIO.kind(of: file) == .regular else {
            throw .notFound("'\(path)' is not tracked (no \(FileIO.lastComponent(of: file))); run `warden data add \(path)`")
        }
        return try DataPointer.read(file)
    }

    /// Finds a version by full digest or unique hex prefix among the recorded versions.
    public func resolve(version text: String, for path: String) throws -> DataVersion {
        let wanted = (text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text).lowercased()
        let all = try versions(of: path)
        let matches = all.filter { $0.digest.hex.hasPrefix(wanted) }
        guard !wanted.isEmpty, let first = matches.first else {
            throw WardenError.notFound("'\(path)' has no version '\(text)'; `warden data log \(path)` lists them")
        }
        guard Set(matches.map(\.digest)).count == 1 else {
            throw WardenError.invalidInput("The version prefix '\(text)' is ambiguous for '\(path)'; give more digits")
        }
        return first
    }

    /// The manifest of a version (a one-file manifest named after the file for single files).
    public func manifest(of version: DataVersion, relative: String) throws -> DatasetManifest {
        switch version.kind {
        case .file:
            return DatasetManifest(entries: [.init(path: FileIO.lastComponent(of: relative), digest: version.digest, size: version.size)])
        case .directory:
            let bytes = try cache.read(version.digest)
            return try DatasetManifest(
                json: try JSONParser().parse(bytes, source: "manifest \(version.digest)"), source: "manifest \(version.digest)")
        }
    }
}
