import Foundation
import Synchronization
import Testing

@testable import WardenCore

/// The writer thread writes every submitted buffer, in order, and reports its first error.
struct WriteBehindTests {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var bytes: [UInt8] = []
        var writes = 0
        let failAt: Int?
        init(failAt: Int? = nil) { self.failAt = failAt }
        func write(_ buffer: UnsafeRawBufferPointer) throws {
            try lock.withLock {
                writes += 1
                if writes == failAt { throw WardenError.io("disk full") }
                bytes.append(contentsOf: buffer)
            }
        }
    }

    @Test(arguments: [0, 1, 2, 3, 50])
    func writesEveryBufferInOrder(_ batches: Int) throws {
        let sink = Sink()
        let writer = WriteBehind(capacity: 100, slots: 2) { try sink.write($0) }
        var expected: [UInt8] = []
        for batch in 0..<batches {
            let buffer = writer.next()
            let count = 1 + batch % 100
            for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: batch &+ index) }
            expected += (0..<count).map { UInt8(truncatingIfNeeded: batch &+ $0) }
            try writer.submit(count)
        }
        try writer.finish()
        #expect(sink.bytes == expected)
        #expect(sink.writes == batches)
    }

    @Test func reportsTheFirstWriteErrorAndStopsWriting() {
        let sink = Sink(failAt: 3)
        let writer = WriteBehind(capacity: 8, slots: 3) { try sink.write($0) }
        #expect(throws: WardenError.io("")) {
            for _ in 0..<20 {
                _ = writer.next()
                try writer.submit(8)
            }
            try writer.finish()
        }
        #expect(sink.writes == 3)
        #expect(sink.bytes.count == 16)
    }

    @Test func abandonedWriterStopsItsThread() {
        let sink = Sink()
        do {
            let writer = WriteBehind(capacity: 8) { try sink.write($0) }
            _ = writer.next()
        }
        #expect(sink.writes == 0)
    }
}
