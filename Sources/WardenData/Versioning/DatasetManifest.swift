import WardenCore

/// The content of a dataset folder: sorted relative POSIX paths with their digests and sizes.
/// Its digest (the dataset digest of DESIGN.md) is the SHA-256 of its canonical JSON, which is also
/// how it is stored in the cache, so the manifest is fetched and checked by that one digest.
public struct DatasetManifest: Sendable, Equatable {
    public typealias Entry = FileDigest

    public static let format = "warden.dataset-manifest/v1"

    /// Sorted by path, byte order.
    public private(set) var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    public var totalSize: Int64 { entries.reduce(0) { $0 + $1.size } }

    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)),
            (
                "files",
                .array(entries.map(\.json))
            ),
        ])
    }

    public var canonicalBytes: [UInt8] { json.canonicalBytes }

    /// The dataset digest.
    public var digest: Digest { Digest.sha256(canonicalBytes) }

    public init(json: JSONValue, source: String) throws(WardenError) {
        guard json["format"]?.stringValue == Self.format, let files = json["files"]?.arrayValue else {
            throw .invalidInput("\(source) is not a Warden dataset manifest")
        }
        var entries: [Entry] = []
        for file in files {
            let entry = try Entry(json: file, source: source)
            guard DatasetManifest.isSafe(entry.path) else {
                throw .invalidInput("\(source): the manifest path '\(entry.path)' is not a safe relative path")
            }
            entries.append(entry)
        }
        self.init(entries: entries)
    }

    /// A relative path that stays inside its folder (no absolute paths, `..`, empty or NUL parts).
    public static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != ".." && $0 != "." && !$0.isEmpty }
    }

    /// Files added, removed and changed from `self` to `other`.
    public func changes(to other: DatasetManifest) -> (added: [String], removed: [String], changed: [String]) {
        let old = Dictionary(entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(other.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let added = other.entries.map(\.path).filter { old[$0] == nil }
        let removed = entries.map(\.path).filter { new[$0] == nil }
        let changed = entries.map(\.path).filter { path in new[path].map { $0 != old[path] } ?? false }
        return (added, removed, changed)
    }
}
