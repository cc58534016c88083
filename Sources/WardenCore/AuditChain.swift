/// Checks a sequence of audit events: consecutive `seq`, each `prev` equal to the previous
/// `hash`, each `hash` equal to the hash of its content. Any edited, removed, inserted or reordered
/// entry breaks one of these at the first bad event.
public struct AuditChain: Sendable {
    /// Why a chain is broken, at which event.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// The `seq` of the first event that does not fit (or the expected one, if missing).
        public var seq: Int64
        /// 1-based position in the input.
        public var position: Int
        public var reason: String
        public var description: String { "audit chain broken at seq \(seq) (entry \(position)): \(reason)" }
    }

    /// Where the checked part of the chain starts: the first event's expected `seq` and `prev`.
    /// Defaults to the genesis; a later anchor verifies a suffix (a trusted checkpoint).
    public var firstSeq: Int64
    public var firstPrev: String

    public init(firstSeq: Int64 = 1, firstPrev: String = AuditEvent.genesis) {
        self.firstSeq = firstSeq
        self.firstPrev = firstPrev
    }

    /// Verifies events fed one at a time, so a chain of any length streams through in constant memory.
    public struct Verifier: Sendable {
        var expectedSeq: Int64
        var expectedPrev: String
        var position = 0
        public private(set) var lastHash: String
        public private(set) var count = 0

        init(chain: AuditChain) {
            expectedSeq = chain.firstSeq
            expectedPrev = chain.firstPrev
            lastHash = chain.firstPrev
        }

        /// Checks the next event; returns the break, if this event is where the chain breaks.
        public mutating func check(_ event: AuditEvent) -> Break? {
            position += 1
            if event.seq != expectedSeq {
                let reason = event.seq > expectedSeq
                    ? "expected seq \(expectedSeq), found \(event.seq): entries removed"
                    : "expected seq \(expectedSeq), found \(event.seq): entries reordered or duplicated"
                return Break(seq: min(event.seq, expectedSeq), position: position, reason: reason)
            }
            if event.prev != expectedPrev {
                return Break(seq: event.seq, position: position, reason: "prev does not match the previous entry's hash")
            }
            if event.computedHash != event.hash {
                return Break(seq: event.seq, position: position, reason: "the entry was edited: its content does not match its hash")
            }
            expectedSeq += 1
            expectedPrev = event.hash
            lastHash = event.hash
            count += 1
            return nil
        }
    }

    public func verifier() -> Verifier { Verifier(chain: self) }

    /// Verifies a whole sequence; nil when intact.
    public func verify(_ events: some Sequence<AuditEvent>) -> Break? {
        var verifier = verifier()
        for event in events {
            if let failure = verifier.check(event) { return failure }
        }
        return nil
    }
}
