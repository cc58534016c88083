import WardenCore

/// The history that produced one artifact: the transformations back to the sources, as a graph
/// of artifacts (by digest) and steps. Built by walking `.warden/provenance.jsonl` backwards.
public struct ProvenanceGraph: Sendable {
    public var subject: ProvenanceRecord.Artifact
    /// Steps in the order they happened (inputs before the steps that consumed them).
    public var steps: [ProvenanceRecord.Transform]
    /// Sources that match artifacts in the graph.
    public var sources: [ProvenanceRecord.Source]
    /// Inputs whose origin nothing records.
    public var unexplained: [ProvenanceRecord.Artifact]

    /// Walks `records` backwards from `subject`; the latest record producing a digest wins.
    public init(subject: ProvenanceRecord.Artifact, records: [ProvenanceRecord]) {
        self.subject = subject
        var producers: [Digest: ProvenanceRecord.Transform] = [:]
        var origins: [Digest: ProvenanceRecord.Source] = [:]
        for record in records {
            switch record {
            case .transform(let t): t.outputs.forEach { producers[$0.digest] = t }
            case .source(let s): origins[s.artifact.digest] = s
            }
        }
        var steps: [ProvenanceRecord.Transform] = []
        var sources: [ProvenanceRecord.Source] = []
        var unexplained: [ProvenanceRecord.Artifact] = []
        var visited = Set<Digest>()
        func visit(_ artifact: ProvenanceRecord.Artifact) {
            guard visited.insert(artifact.digest).inserted else { return }
            if let source = origins[artifact.digest] { sources.append(source) }
            if let step = producers[artifact.digest] {
                step.inputs.forEach(visit)
                if !steps.contains(step) { steps.append(step) }
            } else if origins[artifact.digest] == nil {
                unexplained.append(artifact)
            }
        }
        visit(subject)
        self.steps = steps
        self.sources = sources
        self.unexplained = unexplained.filter { $0.digest != subject.digest || !steps.isEmpty || !sources.isEmpty }
    }

    public static let predicateType = "https://warden.dev/data-provenance/v1"

    public var json: JSONValue {
        .object([
            ("subject", subject.json),
            ("sources", .array(sources.map { ProvenanceRecord.source($0).json })),
            ("steps", .array(steps.map { ProvenanceRecord.transform($0).json })),
            (
                "unexplained_inputs",
                .array(unexplained.map { .object([("path", .string($0.path)), ("digest", .string($0.digest.description))]) })
            ),
        ])
    }
}
