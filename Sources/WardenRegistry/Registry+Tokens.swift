import WardenCore

/// Principals and their API tokens (admins only: `token.manage`).
extension Registry {
    /// What `createToken` made: the principal as stored, the token record, and its plaintext
    /// (shown once, never stored).
    public struct IssuedToken: Sendable {
        public var principal: Principal
        public var token: APIToken
        public var plaintext: String
    }

    /// Issues a token for the principal `name`, creating it when new. Without `models` the role is
    /// global; with them it is granted on those models (names or `prefix*`) only. An existing
    /// principal keeps what it had and gains the role or grants.
    public func createToken(
        name: String, role: Role, models: [String] = [], attributes: [String: String] = [:], lifetimeMillis: Int64? = nil,
        by principal: Principal
    ) async throws -> IssuedToken {
        try await authorize(principal, .manageTokens, model: nil, subject: "principal/\(name)")
        guard RegisteredModel.isValidName(name), !name.contains("/"), name != "anonymous", name != "system" else {
            throw WardenError.invalidInput("'\(name.prefix(80))' is not a valid principal name (letters, digits, . _ -)")
        }
        for pattern in models where !RegisteredModel.isValidName(pattern.hasSuffix("*") ? String(pattern.dropLast()) + "x" : pattern) {
            throw WardenError.invalidInput("'\(pattern.prefix(80))' is not a model name or prefix*")
        }
        if let lifetimeMillis, lifetimeMillis <= 0 { throw WardenError.invalidInput("A token's lifetime must be positive") }
        var target = try await store.principal(id: name) ?? Principal(id: name, name: name)
        if models.isEmpty {
            target.roles.insert(role)
        } else {
            for pattern in models where !target.grants.contains(.init(models: pattern, role: role)) {
                target.grants.append(.init(models: pattern, role: role))
            }
        }
        for (key, value) in attributes { target.attributes[key] = value }
        let details: JSONValue = [
            "roles": .array(target.roles.sorted().map { .string($0.rawValue) }),
            "grants": .array(target.grants.map { .string("\($0.role.rawValue)@\($0.models)") }),
        ]
        try await store.savePrincipal(target, audit: draft(principal, "principal.save", "principal/\(name)", details))
        tokenCache?.forget(principalID: target.id)
        let issued = APIToken.issue(for: target.id, name: name, now: nowMillis, lifetime: lifetimeMillis)
        try await store.saveToken(
            issued.record,
            audit: draft(principal, "token.create", "principal/\(name)", ["token_id": .string(issued.record.id), "expires_at": issued.record.expiresAt.map { .int($0) } ?? .null]))
        return IssuedToken(principal: target, token: issued.record, plaintext: issued.plaintext)
    }

    /// Revokes a token by its public id (the 12 hex digits after `wdn_`).
    public func revokeToken(id: String, by principal: Principal) async throws -> APIToken {
        try await authorize(principal, .manageTokens, model: nil, subject: "token/\(id)")
        guard var token = try await store.token(id: id) else { throw WardenError.notFound("No token with id '\(id.prefix(40))'") }
        token.revoked = true
        try await store.saveToken(token, audit: draft(principal, "token.revoke", "token/\(id)", ["principal": .string(token.principalID)]))
        tokenCache?.forget(tokenID: id)
        return token
    }
}
