import WardenCore

/// One recorded version of a dataset, as `warden data log` lists it.
public struct DataVersion: Sendable, Equatable {
    public var digest: Digest
    public var kind: DataPointer.Kind
    public var size: Int64
    public var fileCount: Int
    public var time: String
    public var actor: String
    public var message: String?

    public init(
        digest: Digest, kind: DataPointer.Kind, size: Int64, fileCount: Int, time: String, actor: String, message: String? = nil
    ) {
        self.digest = digest
        self.kind = kind
        self.size = size
        self.fileCount = fileCount
        self.time = time
        self.actor = actor
        self.message = message
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("digest", .string(digest.description)), ("kind", .string(kind.rawValue)), ("size", .int(size)),
            ("files", .int(Int64(fileCount))), ("time", .string(time)), ("actor", .string(actor)),
        ]
        if let message { members.append(("message", .string(message))) }
        return .object(members)
    }

    public init(json: JSONValue, source: String) throws(WardenError) {
        guard let digest = json["digest"]?.stringValue, let kind = json["kind"]?.stringValue.flatMap(DataPointer.Kind.init(rawValue:)),
            let size = json["size"]?.intValue, let files = json["files"]?.intValue,
            let time = json["time"]?.stringValue, let actor = json["actor"]?.stringValue
        else { throw .invalidInput("\(source): a damaged version record") }
        self.init(
            digest: try Digest(parsing: digest), kind: kind, size: size, fileCount: Int(files), time: time, actor: actor,
            message: json["message"]?.stringValue)
    }
}
