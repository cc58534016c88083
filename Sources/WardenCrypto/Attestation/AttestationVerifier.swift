import WardenCore

/// Checks a bare DSSE envelope holding an in-toto statement: the signature with a key, the
/// statement's shape, and that given files match its subjects.
public struct AttestationVerifier: Sendable {
    public var key: PublicKey

    public init(key: PublicKey) {
        self.key = key
    }

    public struct Report: Sendable, Codable {
        public struct SubjectCheck: Sendable, Codable {
            public var path: String
            public var name: String?
            public var expected: String?
            public var actual: String
            public var matches: Bool
        }

        public var signatureValid: Bool
        public var keyType: String
        public var predicateType: String?
        public var subjects: [String]
        public var subjectChecks: [SubjectCheck]
        public var verified: Bool { signatureValid && subjectChecks.allSatisfy(\.matches) }
    }

    /// Parses the envelope (bounded, hostile input) — `invalidInput` errors name what is wrong.
    public static func envelope(from bytes: [UInt8], source: String) throws(WardenError) -> DSSEEnvelope {
        let json = try JSONParser(maxDepth: 64, maxBytes: 64 << 20).parse(bytes, source: source)
        guard json.objectValue != nil else { throw .invalidInput("\(source) is not a DSSE envelope (not a JSON object)") }
        return try DSSEEnvelope(json: json, source: source)
    }

    /// Verifies; `subjects` are (path, digest) pairs of files to find among the statement's subjects.
    /// Throws only when the envelope's payload is not a statement (after the signature checked out).
    public func verify(_ envelope: DSSEEnvelope, source: String, files: [(path: String, digest: Digest)]) throws(WardenError) -> Report {
        let valid = envelope.isValidSignature(by: key)
        var report = Report(signatureValid: valid, keyType: key.type.rawValue, predicateType: nil, subjects: [], subjectChecks: [])
        guard valid else { return report }
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw .invalidInput("\(source) carries '\(envelope.payloadType)', not an in-toto statement")
        }
        let statement = try InTotoStatement(payload: envelope.payload, source: source)
        report.predicateType = statement.predicateType
        report.subjects = statement.subjects.map(\.name)
        for file in files {
            let byDigest = statement.subjects.first { $0.digest["sha256"] == file.digest.hex }
            let byName = statement.subjects.first { $0.name == file.path || file.path.hasSuffix("/" + $0.name) }
            let expected = (byDigest ?? byName)?.digest["sha256"]
            report.subjectChecks.append(
                .init(
                    path: file.path, name: (byDigest ?? byName)?.name, expected: expected.map { "sha256:\($0)" },
                    actual: file.digest.description, matches: byDigest != nil))
        }
        return report
    }
}
