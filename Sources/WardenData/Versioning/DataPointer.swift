import WardenCore

/// The small file `PATH.warden` kept beside a tracked dataset and meant for git: which version of
/// the data the working tree should hold.
public struct DataPointer: Sendable, Equatable {
    public static let format = "warden.data-pointer/v1"
    public static let suffix = ".warden"

    public enum Kind: String, Sendable {
        case file, directory
    }

    /// The dataset's path relative to the repository root.
    public var path: String
    public var kind: Kind
    /// The file's digest, or the directory's manifest digest.
    public var digest: Digest
    public var size: Int64
    public var fileCount: Int

    public init(path: String, kind: Kind, digest: Digest, size: Int64, fileCount: Int) {
        self.path = path
        self.kind = kind
        self.digest = digest
        self.size = size
        self.fileCount = fileCount
    }

    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)), ("path", .string(path)), ("kind", .string(kind.rawValue)),
            ("digest", .string(digest.description)), ("size", .int(size)), ("files", .int(Int64(fileCount))),
        ])
    }

    public init(json: JSONValue, source: String) throws(WardenError) {
        guard json["format"]?.stringValue == Self.format else {
            throw .invalidInput("\(source) is not a Warden data pointer (no format \(Self.format)); re-create it with `warden data add`")
        }
        guard let path = json["path"]?.stringValue, let kindName = json["kind"]?.stringValue,
            let kind = Kind(rawValue: kindName), let digest = json["digest"]?.stringValue,
            let size = json["size"]?.intValue, let files = json["files"]?.intValue
        else {
            throw .invalidInput("\(source) is a damaged data pointer (path, kind, digest, size or files missing); restore it from git")
        }
        self.init(path: path, kind: kind, digest: try Digest(parsing: digest), size: size, fileCount: Int(files))
    }

    /// Reads `PATH.warden`.
    public static func read(_ pointerPath: String) throws(WardenError) -> DataPointer {
        let bytes = try FileIO.readAll(pointerPath, limit: 1 << 20)
        let json = try JSONParser(maxDepth: 16, maxBytes: 1 << 20).parse(bytes, source: "'\(pointerPath)'")
        return try DataPointer(json: json, source: "'\(pointerPath)'")
    }

    public func write(to pointerPath: String) throws(WardenError) {
        try FileIO.writeAtomically(json.prettyString(indent: 2) + "\n", to: pointerPath)
    }
}
