import WardenCore

/// One fact of a dataset's history: where data came from (a source) or how it was made (a
/// transformation of inputs into outputs). Kept in `.warden/provenance.jsonl`, one per line.
public enum ProvenanceRecord: Sendable, Equatable {
    /// A file or folder at one moment: its path, digest and size.
    public typealias Artifact = DatasetManifest.Entry

    public struct Source: Sendable, Equatable {
        public var name: String
        public var url: String?
        public var artifact: Artifact
        public var time: String
        public var actor: String
    }

    public struct Transform: Sendable, Equatable {
        public var operation: String
        public var parameters: JSONValue
        public var inputs: [Artifact]
        public var outputs: [Artifact]
        /// The command that ran, when Warden ran it.
        public var command: [String]?
        public var time: String
        public var actor: String
    }

    case source(Source)
    case transform(Transform)

    public var json: JSONValue {
        switch self {
        case .source(let s):
            var members: [(String, JSONValue)] = [("type", "source"), ("name", .string(s.name))]
            if let url = s.url { members.append(("url", .string(url))) }
            members += [("artifact", s.artifact.json), ("time", .string(s.time)), ("actor", .string(s.actor))]
            return .object(members)
        case .transform(let t):
            var members: [(String, JSONValue)] = [
                ("type", "transform"), ("operation", .string(t.operation)), ("parameters", t.parameters),
                ("inputs", .array(t.inputs.map(\.json))), ("outputs", .array(t.outputs.map(\.json))),
            ]
            if let command = t.command { members.append(("command", .array(command.map { .string($0) }))) }
            members += [("time", .string(t.time)), ("actor", .string(t.actor))]
            return .object(members)
        }
    }

    public init(json: JSONValue, source: String) throws(WardenError) {
        func artifacts(_ key: String) throws(WardenError) -> [Artifact] {
            guard let list = json[key]?.arrayValue else { throw .invalidInput("\(source): no '\(key)' list") }
            var out: [Artifact] = []
            for item in list { out.append(try Artifact(json: item, source: source)) }
            return out
        }
        let time = json["time"]?.stringValue ?? ""
        let actor = json["actor"]?.stringValue ?? ""
        switch json["type"]?.stringValue {
        case "source":
            guard let name = json["name"]?.stringValue, let artifact = json["artifact"] else {
                throw .invalidInput("\(source): a source record lacks name or artifact")
            }
            self = .source(
                Source(name: name, url: json["url"]?.stringValue, artifact: try Artifact(json: artifact, source: source), time: time, actor: actor))
        case "transform":
            guard let operation = json["operation"]?.stringValue else { throw .invalidInput("\(source): a transform lacks its operation") }
            let command = json["command"]?.arrayValue?.compactMap(\.stringValue)
            self = .transform(
                Transform(
                    operation: operation, parameters: json["parameters"] ?? .object([]), inputs: try artifacts("inputs"),
                    outputs: try artifacts("outputs"), command: command, time: time, actor: actor))
        default:
            throw .invalidInput("\(source): unknown provenance record type")
        }
    }
}
