import Dispatch
import Foundation
import Testing
import WardenCore
import WardenTesting

struct AuditChainTests {
    static let clock = WardenClock.fixed(Date(timeIntervalSince1970: 1_790_000_000))

    static func chain(_ count: Int) -> [AuditEvent] {
        var events: [AuditEvent] = []
        for index in 0..<count {
            events.append(
                AuditEvent(
                    after: events.last, time: clock.timestamp(), actor: "alice", action: "data.add",
                    subject: "train.csv", details: ["n": .int(Int64(index))]))
        }
        return events
    }

    @Test func anIntactChainVerifies() {
        let events = Self.chain(10)
        #expect(AuditChain().verify(events) == nil)
        #expect(events[0].prev == AuditEvent.genesis)
        #expect(events[9].seq == 10)
    }

    /// The hash is over the canonical JSON of the event without `hash`: pinned so other stores
    /// (registry databases, exports) can recompute it.
    @Test func theHashIsPinned() {
        let event = AuditEvent(
            after: nil, time: "2026-01-01T00:00:00.000Z", actor: "a", action: "x.y", subject: "s", details: .object([]))
        #expect(
            event.body.canonicalString
                == #"{"action":"x.y","actor":"a","details":{},"prev":"sha256:0000000000000000000000000000000000000000000000000000000000000000","seq":1,"subject":"s","time":"2026-01-01T00:00:00.000Z"}"#)
        #expect(event.hash == Digest.sha256(event.body.canonicalString).description)
    }

    struct Tampering: Sendable, CustomTestStringConvertible {
        var name: String
        var expectedSeq: Int64
        var apply: @Sendable ([AuditEvent]) -> [AuditEvent]
        var testDescription: String { name }
    }

    static let tamperings: [Tampering] = [
        Tampering(name: "edited subject", expectedSeq: 4) { var e = $0; e[3].subject = "other.csv"; return e },
        Tampering(name: "edited details", expectedSeq: 7) { var e = $0; e[6].details = ["n": 99]; return e },
        Tampering(name: "edited and rehashed (the next entry no longer links)", expectedSeq: 6) { e in
            var e = e
            e[4].actor = "mallory"
            e[4].hash = e[4].computedHash
            return e
        },
        Tampering(name: "removed entry", expectedSeq: 3) { var e = $0; e.remove(at: 2); return e },
        Tampering(name: "removed first entry", expectedSeq: 1) { Array($0.dropFirst()) },
        Tampering(name: "swapped entries", expectedSeq: 3) { var e = $0; e.swapAt(2, 3); return e },
        Tampering(name: "duplicated entry", expectedSeq: 5) { var e = $0; e.insert(e[4], at: 5); return e },
    ]

    @Test(arguments: tamperings)
    func tamperingIsFoundAtTheFirstBadEntry(_ tampering: Tampering) {
        let broken = AuditChain().verify(tampering.apply(Self.chain(10)))
        #expect(broken?.seq == tampering.expectedSeq)
    }

    @Test func truncatingTheTailIsOnlyDetectableFromACheckpoint() {
        // A chain cut at its end is still a valid chain; checkpoints (signed heads) catch that.
        let events = Self.chain(10)
        #expect(AuditChain().verify(events.prefix(7)) == nil)
        #expect(AuditChain(firstSeq: 8, firstPrev: events[6].hash).verify(events.suffix(3)) == nil)
    }

    @Test func theFileLogAppendsVerifiesAndFindsTampering() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let log = AuditLogFile(path: folder.url("audit/audit.jsonl"), clock: Self.clock)
        for index in 0..<5 { try log.append(actor: "bob", action: "data.verify", subject: "s\(index)") }
        #expect(try log.verify() == nil)
        #expect(try log.events().map(\.seq) == [1, 2, 3, 4, 5])

        var text = try String(contentsOfFile: log.path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"s2\"", with: "\"s9\"")
        try text.write(toFile: log.path, atomically: true, encoding: .utf8)
        #expect(try log.verify()?.seq == 3)
    }

    @Test func concurrentAppendsKeepOneChain() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let log = AuditLogFile(path: folder.url("audit.jsonl"))
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for index in 0..<25 { _ = try? log.append(actor: "w\(worker)", action: "test.append", subject: "\(index)") }
        }
        #expect(try log.verify() == nil)
        #expect(try log.events().count == 100)
    }

    @Test func aCorruptLineIsAClearError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("audit.jsonl", "{\"seq\": 1, \"time\": \n")
        #expect(throws: WardenError.self) { try AuditLogFile(path: path).verify() }
        #expect(throws: WardenError.self) { try AuditLogFile(path: path).append(actor: "a", action: "b", subject: "c") }
    }
}
