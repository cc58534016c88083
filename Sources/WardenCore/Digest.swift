/// A SHA-256 content digest, written `sha256:<lowercase hex>` everywhere Warden stores one.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 32 raw digest bytes.
    public let bytes: [UInt8]

    /// Creates a digest from 32 raw bytes.
    public init(bytes: [UInt8]) throws(WardenError) {
        guard bytes.count == 32 else {
            throw .invalidInput("A SHA-256 digest has 32 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses `sha256:<64 hex digits>` (or bare hex).
    public init(parsing text: String) throws(WardenError) {
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard hex.utf8.count == 64, let raw = Hex.decode(hex) else {
            throw .invalidInput("'\(text.prefix(80))' is not a sha256 digest; expected sha256:<64 hex digits>")
        }
        self.bytes = raw
    }

    /// Lowercase hex of the digest bytes.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { "sha256:\(hex)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Digest(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
