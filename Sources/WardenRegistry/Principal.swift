/// Who is calling: a user or a service, with global roles, per-model grants and attributes
/// (team, clearance…) for attribute-based rules.
public struct Principal: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var roles: Set<Role>
    public var grants: [Grant]
    public var attributes: [String: String]

    public init(id: String, name: String, roles: Set<Role> = [], grants: [Grant] = [], attributes: [String: String] = [:]) {
        self.id = id
        self.name = name
        self.roles = roles
        self.grants = grants
        self.attributes = attributes
    }

    /// A role on the models a pattern names: an exact name, or a prefix ending in `*`.
    public struct Grant: Sendable, Equatable, Codable {
        public var models: String
        public var role: Role

        public init(models: String, role: Role) {
            self.models = models
            self.role = role
        }

        public func covers(_ model: String) -> Bool {
            models.hasSuffix("*") ? model.hasPrefix(String(models.dropLast())) : model == models
        }
    }
}
