/// What a version must satisfy before a protected alias may point to it (warden.yaml `gates:`).
public struct GatePolicy: Sendable, Equatable, Codable {
    public struct Requirements: Sendable, Equatable, Codable {
        /// A signature that verified with one of the trusted keys.
        public var signature: Bool
        /// Key ids (SHA-256 of the SPKI) accepted for the signature; empty = any trusted server key.
        public var trustedKeyIDs: [String]
        /// No scan finding at or above this severity; nil = no scan needed.
        public var scanBelow: String?
        /// A provenance attestation that verified.
        public var provenance: Bool
        /// How many approvals by reviewers other than the uploader.
        public var approvals: Int

        public init(signature: Bool, trustedKeyIDs: [String] = [], scanBelow: String?, provenance: Bool, approvals: Int) {
            self.signature = signature
            self.trustedKeyIDs = trustedKeyIDs
            self.scanBelow = scanBelow
            self.provenance = provenance
            self.approvals = approvals
        }

        /// The defaults for `production`.
        public static let production = Requirements(signature: true, scanBelow: "high", provenance: true, approvals: 1)
        public static let none = Requirements(signature: false, scanBelow: nil, provenance: false, approvals: 0)
    }

    /// Per alias name; aliases not listed are unprotected.
    public var aliases: [String: Requirements]

    public init(aliases: [String: Requirements] = ["production": .production]) {
        self.aliases = aliases
    }

    public func requirements(for alias: String) -> Requirements { aliases[alias] ?? .none }

    /// One unmet requirement, named so a refusal can list them all.
    public struct Failure: Sendable, Equatable, Codable, CustomStringConvertible {
        public var gate: String
        public var detail: String
        public var description: String { "\(gate): \(detail)" }
    }

    /// Every unmet requirement of `alias` for `version` (empty = the move may happen).
    public func check(_ version: ModelVersion, approvals: [Approval], alias: String) -> [Failure] {
        let need = requirements(for: alias)
        var failures: [Failure] = []
        if need.signature {
            if let signature = version.signature, signature.passed {
                if !need.trustedKeyIDs.isEmpty && !need.trustedKeyIDs.contains(signature.keyID ?? "") {
                    failures.append(Failure(gate: "signature", detail: "signed by key \(signature.keyID ?? "?"), which is not trusted for '\(alias)'"))
                }
            } else {
                failures.append(Failure(gate: "signature", detail: version.signature?.detail ?? "the version has no verified signature"))
            }
        }
        if let threshold = need.scanBelow {
            if let scan = version.scan {
                if scan.reaches(threshold) {
                    failures.append(Failure(gate: "scan", detail: "the scan found \(scan.findings) finding(s), up to \(scan.highestSeverity ?? "?") (limit: below \(threshold))"))
                }
            } else {
                failures.append(Failure(gate: "scan", detail: "the version was not scanned"))
            }
        }
        if need.provenance && version.provenance?.passed != true {
            failures.append(Failure(gate: "provenance", detail: version.provenance?.detail ?? "no verified provenance attestation"))
        }
        if need.approvals > 0 {
            let reviewers = Set(approvals.filter { $0.model == version.model && $0.version == version.version && $0.reviewer != version.uploader }.map(\.reviewer))
            if reviewers.count < need.approvals {
                failures.append(Failure(gate: "approval", detail: "\(reviewers.count) of \(need.approvals) approval(s) by a reviewer other than the uploader '\(version.uploader)'"))
            }
        }
        return failures
    }
}
