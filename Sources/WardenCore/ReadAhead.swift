import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FileIO {
    /// Like ``forEachChunk(of:range:chunkSize:_:)`` but a second thread reads the next chunks while
    /// `body` works on the current one, so a single large file is hashed at the speed of the hash,
    /// not hash + copy. Use it when a core would otherwise be idle (one big file on several cores).
    /// Memory use is `slots` buffers of `chunkSize` bytes.
    public static func forEachChunkReadingAhead(
        of path: String,
        range: Range<Int64>? = nil,
        chunkSize: Int = 4 << 20,
        slots: Int = 4,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let fd = try openForStreaming(path)
        defer { close(fd) }
        let ring = ReadAheadRing(slots: max(2, slots), chunkSize: chunkSize)
        defer { ring.deallocate() }
        let start = range?.lowerBound ?? 0
        let end = range?.upperBound ?? Int64.max
        let reader = Thread { ring.fill(fd: fd, path: path, start: start, end: end, bounded: range != nil) }
        reader.start()
        var slot = 0
        do {
            while true {
                ring.filled.wait()
                let length = ring.lengths[slot]
                if length == 0 { break }
                if length < 0 { throw ring.failure ?? WardenError.io("Cannot read '\(path)'") }
                try body(UnsafeRawBufferPointer(rebasing: ring.buffers[slot][0..<length]))
                ring.free.signal()
                slot = (slot + 1) % ring.buffers.count
            }
        } catch {
            ring.stop.store(true, ordering: .relaxed)
            ring.free.signal()
            ring.finished.wait()
            throw error
        }
        ring.finished.wait()
    }
}

/// The buffers shared by the reading thread and the consumer; the semaphores order every access
/// (a slot is written only after `free` and read only after `filled`).
private final class ReadAheadRing: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    /// Raw storage, not an Array: the two threads touch different slots, and copy-on-write checks
    /// on a shared Array would race.
    let lengths: UnsafeMutableBufferPointer<Int>
    var failure: WardenError?
    let filled = DispatchSemaphore(value: 0)
    let free = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    let stop = Atomic<Bool>(false)

    init(slots: Int, chunkSize: Int) {
        buffers = (0..<slots).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64) }
        lengths = .allocate(capacity: slots)
        lengths.initialize(repeating: 0)
        // Semaphores start at zero and are raised, so none is ever disposed below its initial value.
        for _ in 0..<slots { free.signal() }
    }

    func deallocate() {
        for buffer in buffers { buffer.deallocate() }
        lengths.deallocate()
    }

    /// Reads chunks into the slots in turn; a zero length marks the end, a negative one an error.
    func fill(fd: Int32, path: String, start: Int64, end: Int64, bounded: Bool) {
        defer { finished.signal() }
        var offset = start
        var slot = 0
        while true {
            free.wait()
            if stop.load(ordering: .relaxed) { return }
            let want = Int(min(Int64(buffers[slot].count), end - offset))
            var got = 0
            if want > 0 {
                repeat { got = pread(fd, buffers[slot].baseAddress, want, off_t(offset)) } while got < 0 && errno == EINTR
            }
            if got < 0 {
                failure = .io("Cannot read '\(path)': \(errnoText())")
            } else if got == 0 && bounded && offset < end {
                failure = .io("'\(path)' ended at byte \(offset), before \(end); was it changed while being read?")
                got = -1
            }
            lengths[slot] = got
            filled.signal()
            if got <= 0 { return }
            offset += Int64(got)
            slot = (slot + 1) % buffers.count
        }
    }
}
