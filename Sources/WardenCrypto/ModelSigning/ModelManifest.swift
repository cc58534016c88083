import WardenCore

/// The signed description of a model: each resource (file or shard) with its digest, plus the
/// serialization that produced them. Compared by resources only, as model-signing does.
public struct ModelManifest: Sendable, Equatable {
    /// One file or shard.
    public struct Resource: Sendable, Hashable {
        /// `path` for files, `path:start:end` for shards.
        public var name: String
        /// As recorded: `sha256`, `blake2b`, `blake3`, `sha256-sharded-N`.
        public var algorithm: String
        public var digest: [UInt8]

        public init(name: String, algorithm: String, digest: [UInt8]) {
            self.name = name
            self.algorithm = algorithm
            self.digest = digest
        }

        /// The path part of a shard's name (without `:start:end`); a name that does not end in
        /// two numbers, such as a file named `a:b.txt`, is returned whole.
        public var path: String {
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 3, Int64(parts[parts.count - 2]) != nil, Int64(parts[parts.count - 1]) != nil else {
                return name
            }
            return parts.dropLast(2).joined(separator: ":")
        }
    }

    /// The model's name (informative only).
    public var modelName: String
    public var serialization: ModelSerialization
    /// Resources in canonical order.
    public var resources: [Resource]

    public init(modelName: String, serialization: ModelSerialization, resources: [Resource]) {
        self.modelName = modelName
        self.serialization = serialization
        let sharded = if case .shards = serialization.method { true } else { false }
        self.resources = resources.sorted { ModelManifest.canonicalOrder($0, $1, sharded: sharded) }
    }

    /// SHA-256 over the concatenated raw resource digests in listed order: the subject digest.
    public var rootDigest: Digest {
        var all: [UInt8] = []
        for resource in resources { all += resource.digest }
        return Digest.sha256(all)
    }

    public static func == (lhs: ModelManifest, rhs: ModelManifest) -> Bool {
        Set(lhs.resources) == Set(rhs.resources)
    }

    /// model-signing's order: by path component-wise, then shard start and end numerically.
    static func canonicalOrder(_ a: Resource, _ b: Resource, sharded: Bool) -> Bool {
        guard sharded else { return PathOrder.precedes(a.name, b.name) }
        let (pa, sa, ea) = split(a.name)
        let (pb, sb, eb) = split(b.name)
        if pa != pb { return PathOrder.precedes(pa, pb) }
        return (sa, ea) < (sb, eb)
    }

    private static func split(_ name: String) -> (String, Int64, Int64) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 3, let start = Int64(parts[parts.count - 2]), let end = Int64(parts[parts.count - 1]) {
            return (parts.dropLast(2).joined(separator: ":"), start, end)
        }
        return (name, 0, 0)
    }
}
