/// A named model in the registry. Its versions are immutable; its aliases move.
public struct RegisteredModel: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    /// Attributes for access rules: `team`, `sensitivity` (`restricted`)…
    public var attributes: [String: String]
    /// Milliseconds since 1970, as MLflow's API has them.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        name: String, description: String = "", tags: [String: String] = [:], attributes: [String: String] = [:],
        createdAt: Int64, updatedAt: Int64? = nil
    ) {
        self.name = name
        self.description = description
        self.tags = tags
        self.attributes = attributes
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// Names are what users type and URLs carry: 1–200 characters of letters, digits and `._-/`.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...200).contains(name.count), !name.hasPrefix("/"), !name.hasSuffix("/"), !name.contains("..") else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))))
                || "._-/".unicodeScalars.contains(scalar)
        }
    }
}
