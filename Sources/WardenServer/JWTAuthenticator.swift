import Foundation
import JWTKit
import WardenCore
import WardenRegistry

/// Bearer JWTs from an external issuer (warden.yaml `auth.jwt`): the signature is verified with the
/// keys of a JWKS file (by `kid`), then `exp`/`nbf` against the server's clock, `iss` and `aud`
/// when configured. The principal is `jwt:<sub>` named `sub`, with the Warden roles the roles
/// claim lists (unknown names are ignored: deny by default) and the team claim as `team`.
struct JWTAuthenticator: Sendable {
    let keys: JWTKeyCollection
    let settings: ServerConfiguration.JWT

    /// Reads the JWKS file; a file without usable keys is an error naming it.
    static func load(_ settings: ServerConfiguration.JWT) async throws -> JWTAuthenticator {
        let bytes = try FileIO.readAll(settings.jwksFile, limit: 1 << 20)
        let keys = JWTKeyCollection()
        do {
            try await keys.add(jwksJSON: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw WardenError.invalidInput("'\(settings.jwksFile)' is not a usable JWKS (each key needs a kid): \(error)")
        }
        return JWTAuthenticator(keys: keys, settings: settings)
    }

    /// Why a JWT was refused (never echoing the token).
    struct Refusal: Error, Equatable {
        var message: String
    }

    /// Every claim, with the registered ones typed.
    struct Claims: JWTPayload {
        var values: [String: ClaimValue]

        enum ClaimValue: Codable, Sendable, Equatable {
            case string(String)
            case strings([String])
            case number(Double)
            case other

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .string(text)
                } else if let list = try? container.decode([String].self) {
                    self = .strings(list)
                } else if let number = try? container.decode(Double.self) {
                    self = .number(number)
                } else {
                    self = .other
                }
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .string(let text): try container.encode(text)
                case .strings(let list): try container.encode(list)
                case .number(let number): try container.encode(number)
                case .other: try container.encodeNil()
                }
            }

            var strings: [String] {
                switch self {
                case .string(let text): [text]
                case .strings(let list): list
                default: []
                }
            }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(values: [String: ClaimValue]) { self.values = values }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            var values: [String: ClaimValue] = [:]
            for key in container.allKeys.prefix(200) { values[key.stringValue] = try container.decode(ClaimValue.self, forKey: key) }
            self.values = values
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in values { try container.encode(value, forKey: Key(stringValue: key)) }
        }

        /// Time claims are checked against the server's injected clock afterwards.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func principal(for token: String, now: Date) async -> Result<Principal, Refusal> {
        guard token.utf8.count <= 16 << 10 else { return .failure(Refusal(message: "the token is too long")) }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            return .failure(Refusal(message: "its signature does not verify with the configured JWKS"))
        }
        let time = now.timeIntervalSince1970
        guard case .number(let exp) = claims.values["exp"] else { return .failure(Refusal(message: "it has no exp")) }
        guard time < exp else { return .failure(Refusal(message: "it expired")) }
        if case .number(let nbf) = claims.values["nbf"], time < nbf { return .failure(Refusal(message: "it is not valid yet")) }
        if let issuer = settings.issuer, claims.values["iss"]?.strings != [issuer] {
            return .failure(Refusal(message: "it was not issued by the configured issuer"))
        }
        if let audience = settings.audience, !(claims.values["aud"]?.strings.contains(audience) ?? false) {
            return .failure(Refusal(message: "it is not meant for this audience"))
        }
        guard let subject = claims.values["sub"]?.strings.first, !subject.isEmpty, subject.count <= 200 else {
            return .failure(Refusal(message: "it has no sub"))
        }
        let roles = Set((claims.values[settings.rolesClaim]?.strings ?? []).compactMap(Role.init(rawValue:)))
        var attributes: [String: String] = [:]
        if let team = claims.values[settings.teamClaim]?.strings.first { attributes["team"] = team }
        return .success(Principal(id: "jwt:\(subject)", name: subject, roles: roles, attributes: attributes))
    }
}
