/// One entry of a tamper-evident audit chain (DESIGN.md): `{seq, time, actor, action, subject,
/// details, prev, hash}` where `hash` is the SHA-256 of the canonical JSON of the event without
/// `hash`, and `prev` is the previous event's `hash` (``AuditEvent/genesis`` for the first).
public struct AuditEvent: Sendable, Equatable {
    /// `prev` of the first event of a chain.
    public static let genesis = "sha256:" + String(repeating: "0", count: 64)

    public var seq: Int64
    /// RFC 3339, UTC.
    public var time: String
    /// Who: a user, token name or `user@host` for the CLI.
    public var actor: String
    /// What, as `area.verb`: `data.add`, `model.download`, `auth.denied`…
    public var action: String
    /// Which thing, usually with its digest: `data/train.csv@sha256:…`.
    public var subject: String
    /// Anything else worth keeping, never secrets.
    public var details: JSONValue
    public var prev: String
    public var hash: String

    /// Creates the event that follows `previous` (or starts a chain) and computes its hash.
    public init(
        after previous: AuditEvent?, time: String, actor: String, action: String, subject: String,
        details: JSONValue = .object([])
    ) {
        self.init(
            seq: (previous?.seq ?? 0) + 1, prev: previous?.hash ?? Self.genesis, time: time, actor: actor, action: action,
            subject: subject, details: details)
    }

    /// Creates the event at `seq` linked to `prev` (a store that keeps only the chain's head).
    public init(
        seq: Int64, prev: String, time: String, actor: String, action: String, subject: String, details: JSONValue = .object([])
    ) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.details = details
        self.prev = prev
        self.hash = ""
        self.hash = computedHash
    }

    /// The event without `hash`, the thing the hash covers.
    public var body: JSONValue {
        .object([
            ("seq", .int(seq)), ("time", .string(time)), ("actor", .string(actor)), ("action", .string(action)),
            ("subject", .string(subject)), ("details", details), ("prev", .string(prev)),
        ])
    }

    /// SHA-256 of the canonical JSON of ``body``.
    public var computedHash: String { Digest.sha256(body.canonicalBytes).description }

    /// The whole event, `hash` included.
    public var json: JSONValue {
        guard case .object(var members) = body else { return body }
        members.append(("hash", .string(hash)))
        return .object(members)
    }

    /// One line of a JSONL export: canonical JSON.
    public var line: String { json.canonicalString }

    /// Reads an event; the hash is taken as written (``AuditChain`` checks it).
    public init(json: JSONValue, source: String) throws(WardenError) {
        func string(_ key: String) throws(WardenError) -> String {
            guard let value = json[key]?.stringValue else {
                throw .invalidInput("\(source): the audit event has no string '\(key)'")
            }
            return value
        }
        guard let seq = json["seq"]?.intValue else { throw .invalidInput("\(source): the audit event has no integer 'seq'") }
        self.seq = seq
        self.time = try string("time")
        self.actor = try string("actor")
        self.action = try string("action")
        self.subject = try string("subject")
        self.details = json["details"] ?? .object([])
        self.prev = try string("prev")
        self.hash = try string("hash")
    }
}
