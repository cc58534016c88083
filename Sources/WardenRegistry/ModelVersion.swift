import WardenCore

/// One immutable version of a model: its artefacts (stored by digest), where it came from, and
/// what the registry checked when it was uploaded.
public struct ModelVersion: Sendable, Equatable, Codable {
    public typealias Artefact = FileDigest

    /// What produced the version.
    public struct Lineage: Sendable, Equatable, Codable {
        public var datasetDigest: Digest?
        /// Digest of the provenance attestation (DSSE envelope) stored with the version.
        public var provenanceDigest: Digest?
        public var parentVersion: Int?

        public init(datasetDigest: Digest? = nil, provenanceDigest: Digest? = nil, parentVersion: Int? = nil) {
            self.datasetDigest = datasetDigest
            self.provenanceDigest = provenanceDigest
            self.parentVersion = parentVersion
        }
    }

    /// The outcome of one upload check (signature, provenance).
    public struct Check: Sendable, Equatable, Codable {
        public var passed: Bool
        /// The key that verified, when one did.
        public var keyID: String?
        public var detail: String

        public init(passed: Bool, keyID: String? = nil, detail: String) {
            self.passed = passed
            self.keyID = keyID
            self.detail = detail
        }
    }

    /// The scanner's verdict on the artefacts.
    public struct ScanOutcome: Sendable, Equatable, Codable {
        /// `critical`, `high`, `medium`, `low`, `info`, or nil when nothing was found.
        public var highestSeverity: String?
        public var findings: Int
        public var reportDigest: Digest?

        public init(highestSeverity: String?, findings: Int, reportDigest: Digest? = nil) {
            self.highestSeverity = highestSeverity
            self.findings = findings
            self.reportDigest = reportDigest
        }

        package static let order = ["info", "low", "medium", "high", "critical"]

        /// Whether any finding reaches `threshold`.
        public func reaches(_ threshold: String) -> Bool {
            guard let highest = highestSeverity, let a = Self.order.firstIndex(of: highest),
                let b = Self.order.firstIndex(of: threshold)
            else { return highestSeverity != nil && Self.order.firstIndex(of: threshold) == nil }
            return a >= b
        }
    }

    public var model: String
    public var version: Int
    public var artefacts: [Artefact]
    public var description: String
    public var tags: [String: String]
    public var lineage: Lineage
    public var uploader: String
    public var createdAt: Int64
    public var signature: Check?
    public var provenance: Check?
    public var scan: ScanOutcome?

    public init(
        model: String, version: Int, artefacts: [Artefact], description: String = "", tags: [String: String] = [:],
        lineage: Lineage = Lineage(), uploader: String, createdAt: Int64, signature: Check? = nil, provenance: Check? = nil,
        scan: ScanOutcome? = nil
    ) {
        self.model = model
        self.version = version
        self.artefacts = artefacts
        self.description = description
        self.tags = tags
        self.lineage = lineage
        self.uploader = uploader
        self.createdAt = createdAt
        self.signature = signature
        self.provenance = provenance
        self.scan = scan
    }
}

/// A reviewer's approval of a version (for a target alias, or any).
public struct Approval: Sendable, Equatable, Codable {
    public var model: String
    public var version: Int
    public var reviewer: String
    public var time: Int64
    public var comment: String

    public init(model: String, version: Int, reviewer: String, time: Int64, comment: String = "") {
        self.model = model
        self.version = version
        self.reviewer = reviewer
        self.time = time
        self.comment = comment
    }
}

/// One move of an alias; the history of moves is kept forever (rollback reads it).
public struct AliasMove: Sendable, Equatable, Codable {
    public var model: String
    public var alias: String
    /// The version the alias pointed to before, if any.
    public var from: Int?
    /// The version it points to now; nil when the alias was removed.
    public var to: Int?
    public var actor: String
    public var time: Int64
    public var reason: String

    public init(model: String, alias: String, from: Int?, to: Int?, actor: String, time: Int64, reason: String = "") {
        self.model = model
        self.alias = alias
        self.from = from
        self.to = to
        self.actor = actor
        self.time = time
        self.reason = reason
    }
}
