import WardenCore

/// An in-toto ResourceDescriptor (attestation framework v1): something an attestation talks about.
public struct ResourceDescriptor: Sendable, Equatable {
    public var name: String?
    public var uri: String?
    public var digest: [String: String]
    public var mediaType: String?
    public var annotations: JSONValue?

    public init(name: String? = nil, uri: String? = nil, digest: [String: String] = [:], mediaType: String? = nil, annotations: JSONValue? = nil) {
        self.name = name
        self.uri = uri
        self.digest = digest
        self.mediaType = mediaType
        self.annotations = annotations
    }

    /// Field names as the protobuf JSON mapping writes them (camelCase), empty fields omitted.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let name { members.append(("name", .string(name))) }
        if let uri { members.append(("uri", .string(uri))) }
        if !digest.isEmpty { members.append(("digest", .object(digest.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        if let mediaType { members.append(("mediaType", .string(mediaType))) }
        if let annotations { members.append(("annotations", annotations)) }
        return .object(members)
    }
}
