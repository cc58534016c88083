import WardenCore

/// Tags, descriptions and alias removal: the mutable metadata around immutable versions.
extension Registry {
    /// Sets (`value` non-nil) or removes a model tag.
    public func setModelTag(_ key: String, _ value: String?, on name: String, by principal: Principal) async throws {
        var model = try await existingModel(name)
        try await authorize(principal, .setTag, model: model, subject: name)
        try Self.checkTag(key, value)
        model.tags[key] = value
        model.updatedAt = nowMillis
        try await store.updateModel(model, audit: draft(principal, value == nil ? "model.tag.delete" : "model.tag.set", name, ["key": .string(key)]))
    }

    /// Sets (`value` non-nil) or removes a version tag.
    public func setVersionTag(_ key: String, _ value: String?, on name: String, version number: Int, by principal: Principal) async throws {
        let model = try await existingModel(name)
        try await authorize(principal, .setTag, model: model, subject: "\(name)/\(number)")
        try Self.checkTag(key, value)
        var version = try await existingVersion(name, number)
        version.tags[key] = value
        try await store.updateVersion(
            version, audit: draft(principal, value == nil ? "version.tag.delete" : "version.tag.set", "\(name)/\(number)", ["key": .string(key)]))
    }

    public func setDescription(_ text: String, on name: String, by principal: Principal) async throws -> RegisteredModel {
        var model = try await existingModel(name)
        try await authorize(principal, .setTag, model: model, subject: name)
        try Self.checkLength(text, "description", limit: 64 << 10)
        model.description = text
        model.updatedAt = nowMillis
        try await store.updateModel(model, audit: draft(principal, "model.describe", name))
        return model
    }

    public func setDescription(_ text: String, on name: String, version number: Int, by principal: Principal) async throws -> ModelVersion {
        let model = try await existingModel(name)
        try await authorize(principal, .setTag, model: model, subject: "\(name)/\(number)")
        try Self.checkLength(text, "description", limit: 64 << 10)
        var version = try await existingVersion(name, number)
        version.description = text
        try await store.updateVersion(version, audit: draft(principal, "version.describe", "\(name)/\(number)"))
        return version
    }

    /// Removes an alias (no gate: pointing nowhere is always safe); the move is kept in history.
    public func removeAlias(_ alias: String, of name: String, by principal: Principal) async throws {
        let model = try await existingModel(name)
        try await authorize(principal, .moveAlias, model: model, subject: "\(name)@\(alias)")
        guard let current = try await store.aliases(of: name)[alias] else {
            throw WardenError.notFound("'\(name)' has no alias '\(alias)'")
        }
        let move = AliasMove(model: name, alias: alias, from: current, to: nil, actor: principal.name, time: nowMillis, reason: "removed")
        try await store.moveAlias(move, audit: draft(principal, "alias.remove", "\(name)@\(alias)", ["from": .int(Int64(current))]))
    }

    /// A version for a caller who may read the model.
    public func version(_ name: String, _ number: Int, by principal: Principal) async throws -> ModelVersion {
        let model = try await existingModel(name)
        try await authorize(principal, .readModel, model: model, subject: "\(name)/\(number)")
        return try await existingVersion(name, number)
    }

    func existingVersion(_ name: String, _ number: Int) async throws -> ModelVersion {
        guard let version = try await store.version(name, number) else { throw WardenError.notFound("No version \(number) of '\(name)'") }
        return version
    }

    static func checkTag(_ key: String, _ value: String?) throws {
        guard (1...250).contains(key.utf8.count), !key.contains(where: { $0.isNewline }) else {
            throw WardenError.invalidInput("A tag key must be 1–250 bytes without line breaks")
        }
        if let value { try checkLength(value, "tag value", limit: 8000) }
    }

    static func checkLength(_ text: String, _ what: String, limit: Int) throws {
        guard text.utf8.count <= limit else { throw WardenError.invalidInput("The \(what) is longer than \(limit) bytes") }
    }
}
