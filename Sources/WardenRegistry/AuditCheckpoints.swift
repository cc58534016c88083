import Foundation
import Synchronization
import WardenCore
import WardenCrypto

/// Signed checkpoints of the audit chain: every `every` entries the server signs the chain's head
/// (`seq`, `hash`) with its key and appends the signature as an `audit.checkpoint` event. The hash
/// chain already shows any edit after the fact; a checkpoint also pins the chain to a moment the
/// server vouched for, so a whole chain rewritten by someone with database access (every hash
/// recomputed) no longer verifies against the server's public key.
public final class AuditCheckpoints: Sendable {
    public static let action = "audit.checkpoint"
    let key: SigningKey
    public let every: Int64
    /// The `seq` of the last checkpoint this process saw, to skip the head read when nothing is due.
    private let lastCheckpoint = Mutex<Int64?>(nil)

    public init(key: SigningKey, every: Int) {
        self.key = key
        self.every = Int64(max(1, every))
    }

    /// The bytes a checkpoint signs.
    public static func message(seq: Int64, hash: String) -> [UInt8] {
        Array("warden-audit-checkpoint/v1\n\(seq)\n\(hash)".utf8)
    }

    /// Appends a checkpoint when `every` entries have passed since the last one.
    public func checkpointIfDue(_ store: any RegistryStore, clock: WardenClock) async throws {
        guard let head = try await store.auditHead() else { return }
        let last: Int64
        if let known = lastCheckpoint.withLock({ $0 }) {
            last = known
        } else {
            last = try await Self.lastCheckpointSeq(store, before: head.seq)
            lastCheckpoint.withLock { $0 = last }
        }
        guard head.seq - last >= every else { return }
        let signature = try key.signature(for: Self.message(seq: head.seq, hash: head.hash))
        try await store.appendAudit(
            AuditDraft(
                time: clock.timestamp(), actor: "system", action: Self.action, subject: "audit/\(head.seq)",
                details: [
                    "covers_seq": .int(head.seq), "covers_hash": .string(head.hash), "key_id": .string(key.publicKey.keyID),
                    "signature": .string(Data(signature).base64EncodedString()),
                ]))
        lastCheckpoint.withLock { $0 = head.seq + 1 }
    }

    /// The seq of the newest checkpoint event at or before `seq` (0 if none), scanning back a page at a time.
    static func lastCheckpointSeq(_ store: any RegistryStore, before seq: Int64) async throws -> Int64 {
        var end = seq
        while end > 0 {
            let start = max(1, end - 999)
            let page = try await store.auditEvents(from: start, limit: Int(end - start + 1))
            if let found = page.last(where: { $0.action == action }) { return found.seq }
            end = start - 1
        }
        return 0
    }

    /// What checking the checkpoints of a chain found.
    public struct Report: Sendable, Equatable {
        public var checkpoints = 0
        /// Checkpoints whose signature verified with one of the keys.
        public var verified = 0
        /// The first problem: a checkpoint that does not verify or names a hash the chain does not have.
        public var failure: String?
    }

    /// Verifies checkpoint events fed in chain order (after the hash chain itself was checked):
    /// each must name the hash the chain has at its `covers_seq` and be signed by one of `keys`.
    public struct Verifier: Sendable {
        let keys: [PublicKey]
        var hashes: [Int64: String] = [:]
        public private(set) var report = Report()

        public init(keys: [PublicKey]) { self.keys = keys }

        public mutating func check(_ event: AuditEvent) {
            defer {
                hashes[event.seq] = event.hash
                // A checkpoint covers a recent head; 10,000 entries of history bound the memory.
                if hashes.count > 20_000 { hashes = hashes.filter { $0.key > event.seq - 10_000 } }
            }
            guard event.action == AuditCheckpoints.action, report.failure == nil else { return }
            report.checkpoints += 1
            guard let seq = event.details["covers_seq"]?.intValue, let hash = event.details["covers_hash"]?.stringValue,
                let text = event.details["signature"]?.stringValue, let signature = Data(base64Encoded: text)
            else {
                report.failure = "checkpoint at seq \(event.seq) is malformed"
                return
            }
            guard hashes[seq] == hash else {
                report.failure = "checkpoint at seq \(event.seq) names a hash for seq \(seq) that the chain does not have"
                return
            }
            if keys.isEmpty { return }
            guard keys.contains(where: { $0.isValidSignature(Array(signature), for: AuditCheckpoints.message(seq: seq, hash: hash)) }) else {
                report.failure = "checkpoint at seq \(event.seq) is not signed by a given key"
                return
            }
            report.verified += 1
        }
    }
}
