import Foundation
import WardenCore
import WardenRegistry
import Yams

extension ServerConfiguration {
    /// Reads warden.yaml. Unknown keys and values of the wrong type are errors that name the key,
    /// so a typo never silently weakens a gate. Keys (type, default):
    ///
    /// - `data` (string, `warden-data`)
    /// - `http.host` (string, `127.0.0.1`), `http.port` (int, 8080), `http.idle_timeout`
    ///   (seconds, 60: idle connections are closed), `http.tls.certificate` / `http.tls.key` (PEM paths, none: plain HTTP)
    /// - `database.url` (string, none: SQLite under `data`), `database.max_connections` (int, 8)
    /// - `limits.max_artefact_bytes` (int, 8 GiB), `limits.max_json_bytes` (int, 1 MiB),
    ///   `limits.max_results` (int, 10000)
    /// - `auth.admin_token_file` (path, none), `auth.token_cache_seconds` (int, 30),
    ///   `auth.token_cache_entries` (int, 10000), `auth.basic_auth` (bool, true),
    ///   `auth.jwt.jwks_file` (path), `auth.jwt.issuer`, `auth.jwt.audience` (strings, none),
    ///   `auth.jwt.roles_claim` (string, `roles`), `auth.jwt.team_claim` (string, `team`)
    /// - `audit.checkpoint_every` (int, 1000), `audit.signing_key` (PEM path, none: no checkpoints)
    /// - `encryption.keyring` (keyring folder, none: artefacts stored unencrypted)
    /// - `trusted_keys` (list of PEM paths, empty)
    /// - `gates.<alias>.signature` (bool), `.trusted_key_ids` (list), `.scan_below` (severity or
    ///   `none`), `.provenance` (bool), `.approvals` (int); default: `production` with signature,
    ///   scan below `high`, provenance and 1 approval. A `gates:` key replaces the defaults.
    /// - `principals[]`: `id`, `name` (default: id), `roles` (list), `attributes` (map),
    ///   `grants[]` (`models`, `role`)
    /// - `inference.*`: the gateway (see ``InferenceConfiguration``'s reader)
    ///
    /// - Throws: `WardenError` (`invalidInput`) naming the file and key.
    public init(yaml text: String, source: String) throws {
        let root: JSONValue
        do {
            root = try Self.json(from: Yams.compose(yaml: text) ?? Node.mapping(.init([])), source: source)
        } catch let error as WardenError {
            throw error
        } catch {
            let text = String(describing: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            throw WardenError.invalidInput("\(source) is not valid YAML: \(text.first ?? "")".prefix(300).description)
        }
        self.init()
        let top = try Section(root, path: "", source: source)
        try top.only(["data", "http", "database", "limits", "auth", "audit", "encryption", "trusted_keys", "gates", "principals", "inference"])
        data = try top.string("data") ?? data
        if let http = try top.section("http") {
            try http.only(["host", "port", "idle_timeout", "tls"])
            self.http.host = try http.string("host") ?? self.http.host
            self.http.port = try http.int("port", in: 0...65535) ?? self.http.port
            self.http.idleTimeout = try http.double("idle_timeout", in: 0.1...86_400) ?? self.http.idleTimeout
            if let tls = try http.section("tls") {
                try tls.only(["certificate", "key"])
                self.http.tlsCertificate = try tls.string("certificate")
                self.http.tlsKey = try tls.string("key")
                guard (self.http.tlsCertificate == nil) == (self.http.tlsKey == nil) else {
                    throw WardenError.invalidInput("\(source): http.tls needs both 'certificate' and 'key'")
                }
            }
        }
        if let encryption = try top.section("encryption") {
            try encryption.only(["keyring"])
            self.encryption.keyring = try encryption.string("keyring")
        }
        if let database = try top.section("database") {
            try database.only(["url", "max_connections"])
            self.database.url = try database.string("url")
            self.database.maxConnections = try database.int("max_connections", in: 1...1000) ?? self.database.maxConnections
        }
        if let limits = try top.section("limits") {
            try limits.only(["max_artefact_bytes", "max_json_bytes", "max_results"])
            self.limits.maxArtefactBytes = try limits.int("max_artefact_bytes", in: 1...(1 << 50)) ?? self.limits.maxArtefactBytes
            self.limits.maxJSONBytes = try limits.int("max_json_bytes", in: 1024...(256 << 20)) ?? self.limits.maxJSONBytes
            self.limits.maxResults = try limits.int("max_results", in: 1...1_000_000) ?? self.limits.maxResults
        }
        if let auth = try top.section("auth") {
            try auth.only(["admin_token_file", "token_cache_seconds", "token_cache_entries", "basic_auth", "jwt"])
            self.auth.adminTokenFile = try auth.string("admin_token_file")
            self.auth.tokenCacheSeconds = try auth.int("token_cache_seconds", in: 0...86_400) ?? self.auth.tokenCacheSeconds
            self.auth.tokenCacheEntries = try auth.int("token_cache_entries", in: 1...10_000_000) ?? self.auth.tokenCacheEntries
            self.auth.basicAuth = try auth.bool("basic_auth") ?? self.auth.basicAuth
            if let jwt = try auth.section("jwt") {
                try jwt.only(["jwks_file", "issuer", "audience", "roles_claim", "team_claim"])
                guard let file = try jwt.string("jwks_file") else {
                    throw WardenError.invalidInput("\(source): auth.jwt needs 'jwks_file'")
                }
                var settings = JWT(jwksFile: file)
                settings.issuer = try jwt.string("issuer")
                settings.audience = try jwt.string("audience")
                settings.rolesClaim = try jwt.string("roles_claim") ?? settings.rolesClaim
                settings.teamClaim = try jwt.string("team_claim") ?? settings.teamClaim
                self.auth.jwt = settings
            }
        }
        if let audit = try top.section("audit") {
            try audit.only(["checkpoint_every", "signing_key"])
            self.audit.checkpointEvery = try audit.int("checkpoint_every", in: 0...100_000_000) ?? self.audit.checkpointEvery
            self.audit.signingKey = try audit.string("signing_key")
        }
        trustedKeys = try top.strings("trusted_keys") ?? []
        if let inference = try top.section("inference") { try self.inference.read(inference) }
        if let gates = try top.section("gates") {
            var aliases: [String: GatePolicy.Requirements] = [:]
            for (alias, value) in gates.members {
                aliases[alias] = try Self.requirements(try Section(value, path: "gates.\(alias)", source: source))
            }
            self.gates = GatePolicy(aliases: aliases)
        }
        if let list = top.value["principals"] {
            guard let items = list.arrayValue else { throw WardenError.invalidInput("\(source): 'principals' must be a list") }
            principals = try items.enumerated().map { index, item in
                try Self.principal(try Section(item, path: "principals[\(index)]", source: source))
            }
            let ids = principals.map(\.id)
            if let repeated = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
                throw WardenError.invalidInput("\(source): principal '\(repeated)' is declared twice")
            }
        }
    }

    /// Reads warden.yaml from `path` (at most 1 MiB).
    public init(file path: String) throws {
        let bytes = try FileIO.readAll(path, limit: 1 << 20)
        try self.init(yaml: String(decoding: bytes, as: UTF8.self), source: "'\(path)'")
    }

    static func requirements(_ section: Section) throws -> GatePolicy.Requirements {
        try section.only(["signature", "trusted_key_ids", "scan_below", "provenance", "approvals"])
        var scan = try section.string("scan_below")
        if scan == "none" { scan = nil }
        if let scan, !ModelVersion.ScanOutcome.order.contains(scan) {
            throw WardenError.invalidInput(
                "\(section.source): \(section.path).scan_below is '\(scan)'; use one of \(ModelVersion.ScanOutcome.order.joined(separator: ", ")) or none")
        }
        return GatePolicy.Requirements(
            signature: try section.bool("signature") ?? false, trustedKeyIDs: try section.strings("trusted_key_ids") ?? [],
            scanBelow: scan, provenance: try section.bool("provenance") ?? false,
            approvals: try section.int("approvals", in: 0...100) ?? 0)
    }

    static func principal(_ section: Section) throws -> Principal {
        try section.only(["id", "name", "roles", "attributes", "grants"])
        guard let id = try section.string("id"), !id.isEmpty, id.count <= 200 else {
            throw WardenError.invalidInput("\(section.source): \(section.path) needs an 'id'")
        }
        let roles = try (section.strings("roles") ?? []).map { try role($0, section) }
        var attributes: [String: String] = [:]
        if let map = try section.section("attributes") {
            for (key, value) in map.members {
                guard let text = value.stringValue else {
                    throw WardenError.invalidInput("\(section.source): \(section.path).attributes.\(key) must be a string")
                }
                attributes[key] = text
            }
        }
        var grants: [Principal.Grant] = []
        if let list = section.value["grants"] {
            guard let items = list.arrayValue else { throw WardenError.invalidInput("\(section.source): \(section.path).grants must be a list") }
            for (index, item) in items.enumerated() {
                let grant = try Section(item, path: "\(section.path).grants[\(index)]", source: section.source)
                try grant.only(["models", "role"])
                guard let models = try grant.string("models"), let name = try grant.string("role") else {
                    throw WardenError.invalidInput("\(section.source): \(grant.path) needs 'models' and 'role'")
                }
                grants.append(.init(models: models, role: try role(name, grant)))
            }
        }
        return Principal(id: id, name: try section.string("name") ?? id, roles: Set(roles), grants: grants, attributes: attributes)
    }

    static func role(_ name: String, _ section: Section) throws -> Role {
        guard let role = Role(rawValue: name) else {
            throw WardenError.invalidInput(
                "\(section.source): \(section.path) names the role '\(name)'; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return role
    }

    /// YAML nodes as JSON values (scalars typed by YAML's core schema).
    static func json(from node: Node, source: String) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are strings; plain ones are typed by YAML's core schema.
            guard scalar.style == .plain else { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let flag = node.bool { return .bool(flag) }
            if let number = node.int { return .int(Int64(number)) }
            if let number = node.float, scalar.string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(number) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [(String, JSONValue)] = []
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { throw WardenError.invalidInput("\(source): mapping keys must be plain strings") }
                if members.contains(where: { $0.0 == name.string }) {
                    throw WardenError.invalidInput("\(source): the key '\(name.string)' appears twice")
                }
                members.append((name.string, try json(from: value, source: source)))
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map { try json(from: $0, source: source) })
        case .alias:
            throw WardenError.invalidInput("\(source): YAML aliases are not supported in warden.yaml")
        }
    }

    /// One mapping of the file, read with its dotted path for error messages.
    struct Section {
        let value: JSONValue
        let members: [(String, JSONValue)]
        let path: String
        let source: String

        init(_ value: JSONValue, path: String, source: String) throws {
            guard let members = value.objectValue else {
                throw WardenError.invalidInput("\(source): \(path.isEmpty ? "the file" : "'\(path)'") must be a mapping")
            }
            self.value = value
            self.members = members
            self.path = path
            self.source = source
        }

        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        func only(_ known: [String]) throws {
            for (name, _) in members where !known.contains(name) {
                throw WardenError.invalidInput("\(source): unknown key '\(key(name))' (known here: \(known.joined(separator: ", ")))")
            }
        }

        func section(_ name: String) throws -> Section? {
            guard let value = value[name], value != .null else { return nil }
            return try Section(value, path: key(name), source: source)
        }

        func string(_ name: String) throws -> String? {
            guard let value = value[name], value != .null else { return nil }
            switch value {
            case .string(let text): return text
            case .int(let number): return String(number)
            default: throw WardenError.invalidInput("\(source): '\(key(name))' must be a string")
            }
        }

        func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let value = value[name], value != .null else { return nil }
            guard let number = value.intValue, range.contains(Int(number)) else {
                throw WardenError.invalidInput("\(source): '\(key(name))' must be an integer in \(range.lowerBound)…\(range.upperBound)")
            }
            return Int(number)
        }

        func double(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
            guard let value = value[name], value != .null else { return nil }
            guard let number = value.doubleValue, range.contains(number) else {
                throw WardenError.invalidInput("\(source): '\(key(name))' must be a number in \(range.lowerBound)…\(range.upperBound)")
            }
            return number
        }

        func bool(_ name: String) throws -> Bool? {
            guard let value = value[name], value != .null else { return nil }
            guard case .bool(let flag) = value else { throw WardenError.invalidInput("\(source): '\(key(name))' must be true or false") }
            return flag
        }

        func strings(_ name: String) throws -> [String]? {
            guard let value = value[name], value != .null else { return nil }
            guard let items = value.arrayValue, let texts = Optional(items.compactMap(\.stringValue)), texts.count == items.count else {
                throw WardenError.invalidInput("\(source): '\(key(name))' must be a list of strings")
            }
            return texts
        }
    }
}
