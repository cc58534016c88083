import WardenCore

/// How a model is cut into signed resources: whole files, or fixed-size shards of files.
/// Mirrors the `serialization` object of an OpenSSF model signature.
public struct ModelSerialization: Sendable, Equatable {
    /// Whole files or shards.
    public enum Method: Sendable, Equatable {
        case files
        /// Shards of `shardSize` bytes (the last one shorter); empty files have no shard.
        case shards(shardSize: Int64)
    }

    /// The paths model-signing always leaves out.
    public static let defaultIgnoredPaths = [".git", ".gitattributes", ".github", ".gitignore"]

    public var method: Method
    public var hashAlgorithm: HashAlgorithm
    public var allowSymlinks: Bool
    /// Relative paths left out of the manifest (recorded in the signature and re-applied on verify).
    public var ignoredPaths: [String]

    public init(
        method: Method = .files, hashAlgorithm: HashAlgorithm = .sha256, allowSymlinks: Bool = false,
        ignoredPaths: [String] = ModelSerialization.defaultIgnoredPaths
    ) {
        self.method = method
        self.hashAlgorithm = hashAlgorithm
        self.allowSymlinks = allowSymlinks
        self.ignoredPaths = ignoredPaths
    }

    /// The `algorithm` recorded for each resource.
    public var resourceAlgorithmName: String {
        switch method {
        case .files: hashAlgorithm.omsName
        case .shards(let size): "\(hashAlgorithm.omsName)-sharded-\(size)"
        }
    }

    /// The `serialization` object of the predicate. `shard_size` is written as an integer so that
    /// model-signing's own verifier (which chokes on the float it writes itself) accepts it.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        switch method {
        case .files:
            members = [("method", "files"), ("hash_type", .string(hashAlgorithm.omsName))]
        case .shards(let size):
            members = [("method", "shards"), ("hash_type", .string(hashAlgorithm.omsName)), ("shard_size", .int(size))]
        }
        members.append(("allow_symlinks", .bool(allowSymlinks)))
        if !ignoredPaths.isEmpty {
            members.append(("ignore_paths", .array(ignoredPaths.sorted().map { .string($0) })))
        }
        return .object(members)
    }

    /// Reads the `serialization` object of a signature.
    public init(json: JSONValue, source: String) throws(WardenError) {
        guard let methodName = json["method"]?.stringValue else {
            throw .invalidInput("\(source): the signature's serialization has no 'method'")
        }
        guard let hashName = json["hash_type"]?.stringValue, let algorithm = HashAlgorithm(omsName: hashName) else {
            let found = json["hash_type"]?.stringValue ?? "nothing"
            throw .unsupported("\(source): unsupported hash_type '\(found)'; Warden reads sha256, blake2b and blake3")
        }
        switch methodName {
        case "files":
            method = .files
        case "shards":
            guard let size = json["shard_size"]?.intValue, size > 0 else {
                throw .invalidInput("\(source): a 'shards' serialization needs a positive integer 'shard_size'")
            }
            method = .shards(shardSize: size)
        default:
            throw .unsupported("\(source): unknown serialization method '\(methodName)'")
        }
        hashAlgorithm = algorithm
        // model-signing writes a bool; its compat path once wrote the string "false".
        switch json["allow_symlinks"] {
        case .bool(let b): allowSymlinks = b
        case .string(let s): allowSymlinks = s.lowercased() == "true"
        default: allowSymlinks = false
        }
        ignoredPaths = (json["ignore_paths"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
