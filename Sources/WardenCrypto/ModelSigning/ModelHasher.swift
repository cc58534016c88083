import Dispatch
import Foundation
import Synchronization
import WardenCore

/// Hashes a model (a folder or a single file) into a ``ModelManifest``: files are streamed, never
/// loaded whole, and files or shards are hashed in parallel on every core.
public struct ModelHasher: Sendable {
    /// Progress reports: bytes hashed so far and in total.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64) -> Void

    public var serialization: ModelSerialization
    /// Worker threads; defaults to the number of active cores.
    public var concurrency: Int

    public init(serialization: ModelSerialization, concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.serialization = serialization
        self.concurrency = max(1, concurrency)
    }

    /// The model name model-signing records: the last path component, or the resolved folder's name.
    public static func modelName(for path: String) -> String {
        let last = FileIO.lastComponent(of: path)
        if last.isEmpty || last == "." || last == ".." {
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            return FileIO.lastComponent(of: resolved)
        }
        return last
    }

    /// Hashes the model at `path`.
    /// - Parameters:
    ///   - onlyPaths: when given, only these relative paths are hashed (verification with
    ///     `--ignore-unsigned-files`); a listed path that does not exist is simply absent.
    ///   - progress: called from worker threads as bytes are hashed.
    /// - Throws: ``WardenError`` for symlinks (unless allowed), special files, unreadable files.
    public func manifest(
        for path: String, onlyPaths: Set<String>? = nil, progress: Progress? = nil
    ) throws -> ModelManifest {
        let tree = FileTree(followSymlinks: serialization.allowSymlinks, ignoredPaths: serialization.ignoredPaths)
        var entries = try tree.files(under: path)
        if let onlyPaths {
            // By bytes: canonically equivalent names (NFC/NFD) are different files.
            let only = Set(onlyPaths.map { Array($0.utf8) })
            entries = entries.filter { only.contains(Array($0.relativePath.utf8)) }
        }
        let items = workItems(for: entries)
        let total = items.reduce(Int64(0)) { $0 + $1.length }
        let results = try hash(items, total: total, progress: progress)
        let algorithm = serialization.resourceAlgorithmName
        let resources = zip(items, results).map { item, digest in
            ModelManifest.Resource(name: item.name, algorithm: algorithm, digest: digest)
        }
        return ModelManifest(modelName: ModelHasher.modelName(for: path), serialization: serialization, resources: resources)
    }

    struct WorkItem: Sendable {
        var name: String
        var path: String
        var range: Range<Int64>?
        var length: Int64
    }

    func workItems(for entries: [FileTree.Entry]) -> [WorkItem] {
        var items: [WorkItem] = []
        for entry in entries {
            switch serialization.method {
            case .files:
                items.append(WorkItem(name: entry.relativePath, path: entry.absolutePath, range: nil, length: entry.size))
            case .shards(let size):
                var start: Int64 = 0
                while start < entry.size {
                    let end = min(start + size, entry.size)
                    items.append(
                        WorkItem(
                            name: "\(entry.relativePath):\(start):\(end)", path: entry.absolutePath, range: start..<end,
                            length: end - start))
                    start = end
                }
            }
        }
        return items
    }

    /// Hashes every item, largest first across `concurrency` threads, returning digests in item order.
    func hash(_ items: [WorkItem], total: Int64, progress: Progress?) throws -> [[UInt8]] {
        let order = items.indices.sorted { items[$0].length > items[$1].length }
        let state = Mutex(HashState(count: items.count))
        let next = Atomic<Int>(0)
        let algorithm = serialization.hashAlgorithm
        let workers = min(concurrency, max(1, items.count))
        let readAhead = items.count < concurrency
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let slot = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard slot < order.count else { return }
                if state.withLock({ $0.failure != nil }) { return }
                let item = items[order[slot]]
                do {
                    var hasher = algorithm.makeHasher()
                    let consume = { (chunk: UnsafeRawBufferPointer) in
                        hasher.update(chunk)
                        if let progress {
                            let done = state.withLock { s in
                                s.bytesDone += Int64(chunk.count)
                                return s.bytesDone
                            }
                            progress(done, total)
                        }
                    }
                    // With fewer items than workers a core is idle: let it read ahead.
                    if readAhead {
                        try FileIO.forEachChunkReadingAhead(of: item.path, range: item.range, consume)
                    } else {
                        try FileIO.forEachChunk(of: item.path, range: item.range, consume)
                    }
                    let digest = hasher.finish()
                    state.withLock { $0.digests[order[slot]] = digest }
                } catch {
                    state.withLock { if $0.failure == nil { $0.failure = error } }
                    return
                }
            }
        }
        return try state.withLock { s in
            if let failure = s.failure { throw failure }
            return s.digests.map { $0 ?? [] }
        }
    }

    struct HashState: Sendable {
        var digests: [[UInt8]?]
        var bytesDone: Int64 = 0
        var failure: (any Error)?
        init(count: Int) { digests = Array(repeating: nil, count: count) }
    }
}
