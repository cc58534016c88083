import WardenCore
import WardenRegistry

extension ModelVersion {
    /// The JSON text the SQLite store keeps for a version: the keys and values of its `Codable`
    /// form (as `JSONEncoder` with sorted keys writes them, absent optionals left out), written
    /// through ``JSONValue`` instead: Foundation's encoder was the costliest step of a create's
    /// transaction. Rows written either way decode the same (`JSONDecoder`); only `/`, which
    /// Foundation escapes as `\/`, is written plain.
    var storedJSON: String {
        func check(_ check: Check) -> JSONValue {
            var members: [(String, JSONValue)] = [("detail", .string(check.detail)), ("passed", .bool(check.passed))]
            if let key = check.keyID { members.append(("keyID", .string(key))) }
            return .object(members)
        }
        var lineageMembers: [(String, JSONValue)] = []
        if let dataset = lineage.datasetDigest { lineageMembers.append(("datasetDigest", .string(dataset.description))) }
        if let parent = lineage.parentVersion { lineageMembers.append(("parentVersion", .int(Int64(parent)))) }
        if let provenance = lineage.provenanceDigest { lineageMembers.append(("provenanceDigest", .string(provenance.description))) }
        var members: [(String, JSONValue)] = [
            ("artefacts", .array(artefacts.map { .object([("digest", .string($0.digest.description)), ("path", .string($0.path)), ("size", .int($0.size))]) })),
            ("createdAt", .int(createdAt)), ("description", .string(description)), ("lineage", .object(lineageMembers)), ("model", .string(model)),
            ("tags", .object(tags.map { ($0.key, .string($0.value)) })), ("uploader", .string(uploader)), ("version", .int(Int64(version))),
        ]
        if let signature { members.append(("signature", check(signature))) }
        if let provenance { members.append(("provenance", check(provenance))) }
        if let scan {
            var outcome: [(String, JSONValue)] = [("findings", .int(Int64(scan.findings)))]
            if let highest = scan.highestSeverity { outcome.append(("highestSeverity", .string(highest))) }
            if let report = scan.reportDigest { outcome.append(("reportDigest", .string(report.description))) }
            members.append(("scan", .object(outcome)))
        }
        return JSONValue.object(members).canonicalString
    }
}
