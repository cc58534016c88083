import Crypto
import Dispatch
import Synchronization

/// SHA-256 of many files on every core (largest first), streaming each file.
public enum ParallelHashing: Sendable {
    public static func sha256(_ paths: [String], concurrency: Int) throws -> [Digest] {
        let sizes = paths.map { (try? FileIO.size(of: $0)) ?? 0 }
        let order = paths.indices.sorted { sizes[$0] > sizes[$1] }
        let results = Mutex([Digest?](repeating: nil, count: paths.count))
        let failure = Mutex<(any Error)?>(nil)
        let next = Atomic<Int>(0)
        let readAhead = paths.count < concurrency
        DispatchQueue.concurrentPerform(iterations: min(max(1, concurrency), max(1, paths.count))) { _ in
            while true {
                let slot = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard slot < order.count, failure.withLock({ $0 == nil }) else { return }
                let index = order[slot]
                do {
                    var hasher = SHA256()
                    if readAhead {
                        try FileIO.forEachChunkReadingAhead(of: paths[index]) { hasher.update(bufferPointer: $0) }
                    } else {
                        try FileIO.forEachChunk(of: paths[index]) { hasher.update(bufferPointer: $0) }
                    }
                    let digest = try Digest(bytes: Array(hasher.finalize()))
                    results.withLock { $0[index] = digest }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0.map { $0! } }
    }
}
