import WardenCore

extension DataRepository {
    var provenancePath: String { metaPath + "/provenance.jsonl" }

    /// The artifact `path` is now: its digest (file digest or folder manifest digest) and size.
    public func artifact(_ path: String) throws -> ProvenanceRecord.Artifact {
        let relative = try relativePath(of: path)
        let absolute = absolutePath(relative)
        let scanned = try scan(absolute, name: FileIO.lastComponent(of: relative))
        let digest = scanned.isFile ? scanned.manifest.entries[0].digest : scanned.manifest.digest
        return .init(path: relative, digest: digest, size: scanned.manifest.totalSize)
    }

    /// Records where `path` came from.
    public func track(_ path: String, source name: String, url: String?) throws -> ProvenanceRecord.Source {
        let source = ProvenanceRecord.Source(name: name, url: url, artifact: try artifact(path), time: clock.timestamp(), actor: actor)
        try FileIO.append(ProvenanceRecord.source(source).json.canonicalString + "\n", to: provenancePath)
        try audit.append(
            actor: actor, action: "data.track", subject: "\(source.artifact.path)@\(source.artifact.digest)",
            details: ["source": .string(name)])
        return source
    }

    /// Records a transformation of `inputs` into `outputs` (hashed now, after any command ran).
    public func recordTransform(
        operation: String, parameters: JSONValue, inputs: [String], outputs: [String], command: [String]?
    ) throws -> ProvenanceRecord.Transform {
        let step = ProvenanceRecord.Transform(
            operation: operation, parameters: parameters, inputs: try inputs.map(artifact), outputs: try outputs.map(artifact),
            command: command, time: clock.timestamp(), actor: actor)
        try FileIO.append(ProvenanceRecord.transform(step).json.canonicalString + "\n", to: provenancePath)
        try audit.append(
            actor: actor, action: "data.transform", subject: step.outputs.map { "\($0.path)@\($0.digest)" }.joined(separator: ","),
            details: ["operation": .string(operation)])
        return step
    }

    public func provenanceRecords() throws -> [ProvenanceRecord] {
        guard FileIO.kind(of: provenancePath) == .regular else { return [] }
        var out: [ProvenanceRecord] = []
        let parser = JSONParser(maxDepth: 64, maxBytes: 16 << 20)
        try FileIO.forEachLine(of: provenancePath) { line, number in
            if line.isEmpty { return }
            let source = "'\(provenancePath)' line \(number)"
            out.append(try ProvenanceRecord(json: try parser.parse(line, source: source), source: source))
        }
        return out
    }

    /// The graph that produced `path` as it is now (a read, recorded in the audit chain).
    public func provenance(of path: String) throws -> ProvenanceGraph {
        let graph = ProvenanceGraph(subject: try artifact(path), records: try provenanceRecords())
        try audit.append(
            actor: actor, action: "data.provenance", subject: "\(graph.subject.path)@\(graph.subject.digest)",
            details: ["sources": .int(Int64(graph.sources.count)), "steps": .int(Int64(graph.steps.count))])
        return graph
    }

    /// Records that the provenance of `artifact` was exported as an attestation signed by `keyID`.
    public func recordAttestation(of artifact: ProvenanceRecord.Artifact, keyID: String, output: String?) throws {
        var details: [(String, JSONValue)] = [("key_id", .string(keyID))]
        if let output { details.append(("out", .string(output))) }
        try audit.append(
            actor: actor, action: "data.provenance.attest", subject: "\(artifact.path)@\(artifact.digest)", details: .object(details))
    }
}
