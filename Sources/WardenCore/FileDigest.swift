/// A file at one moment: its relative path, SHA-256 and size. Dataset manifests, provenance
/// records and registry versions all list files this way.
public struct FileDigest: Sendable, Equatable, Hashable, Codable {
    public var path: String
    public var digest: Digest
    public var size: Int64

    public init(path: String, digest: Digest, size: Int64) {
        self.path = path
        self.digest = digest
        self.size = size
    }

    public var json: JSONValue {
        .object([("path", .string(path)), ("digest", .string(digest.description)), ("size", .int(size))])
    }

    public init(json: JSONValue, source: String) throws(WardenError) {
        guard let path = json["path"]?.stringValue, let digest = json["digest"]?.stringValue, let size = json["size"]?.intValue,
            size >= 0
        else {
            throw .invalidInput("\(source): an entry lacks a path, a digest or a size")
        }
        self.init(path: path, digest: try Digest(parsing: digest), size: size)
    }
}
