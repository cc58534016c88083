import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// `auth.jwt`: bearer JWTs of an external issuer, verified with a JWKS file.
struct JWTAuthenticatorTests {
    typealias Claims = JWTAuthenticator.Claims

    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// A signer and the JWKS file of its public key.
    static func issuer(in folder: TemporaryDirectory) async throws -> (JWTKeyCollection, String) {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        let jwks: JSONValue = [
            "keys": [
                [
                    "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
                    "x": .string(Base64URL.encode(Array(raw[0..<32]))), "y": .string(Base64URL.encode(Array(raw[32..<64]))),
                ]
            ]
        ]
        let path = try folder.write("jwks.json", jwks.compactString)
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: try ES256PrivateKey(backing: key), kid: "k1")
        return (signer, path)
    }

    static func claims(exp: Double = 1_790_000_600, iss: String = "https://idp.example", aud: [String] = ["warden"], roles: [String] = ["reader"]) -> Claims {
        Claims(values: [
            "sub": .string("sam"), "exp": .number(exp), "iss": .string(iss), "aud": .strings(aud), "roles": .strings(roles), "team": .string("risk"),
        ])
    }

    @Test func validTokensMapToPrincipalsAndEveryBadOneIsRefused() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (signer, path) = try await Self.issuer(in: folder)
        var settings = ServerConfiguration.JWT(jwksFile: path)
        settings.issuer = "https://idp.example"
        settings.audience = "warden"
        let authenticator = try await JWTAuthenticator.load(settings)

        let good = try await signer.sign(Self.claims(roles: ["reviewer", "wizard"]), kid: "k1")
        let principal = try await authenticator.principal(for: good, now: Self.now).get()
        #expect(principal == Principal(id: "jwt:sam", name: "sam", roles: [.reviewer], attributes: ["team": "risk"]))

        let refusals: [(String, String)] = [
            (try await signer.sign(Self.claims(exp: 1_789_999_999), kid: "k1"), "expired"),
            (try await signer.sign(Self.claims(iss: "https://evil"), kid: "k1"), "issuer"),
            (try await signer.sign(Self.claims(aud: ["other"]), kid: "k1"), "audience"),
            (try await signer.sign(Claims(values: ["sub": .string("sam")]), kid: "k1"), "exp"),
            (String(good.dropLast(4)) + "AAAA", "signature"),
            ("not.a.jwt", "signature"),
            (String(repeating: "a", count: 20_000), "too long"),
        ]
        for (token, reason) in refusals {
            guard case .failure(let refusal) = await authenticator.principal(for: token, now: Self.now) else {
                Issue.record("accepted a token that should fail on \(reason)")
                continue
            }
            #expect(refusal.message.contains(reason), "\(refusal.message)")
        }
        // A token signed by another key with the same kid does not verify.
        let (other, _) = try await Self.issuer(in: try TemporaryDirectory())
        guard case .failure = await authenticator.principal(for: try await other.sign(Self.claims(), kid: "k1"), now: Self.now) else {
            Issue.record("a foreign key's token verified")
            return
        }
    }

    @Test func theServerAcceptsJWTsNextToWardenTokens() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (signer, path) = try await Self.issuer(in: folder)
        let configuration = ServerConfiguration().with {
            $0.data = folder.url("data")
            $0.auth.jwt = .init(jwksFile: path)
        }
        let server = try await RegistryServer.open(configuration: configuration, adminToken: nil, store: InMemoryRegistryStore(), clock: .fixed(Self.now))
        let token = try await signer.sign(Self.claims(roles: ["maintainer"]), kid: "k1")
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/models", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: #"{"name":"by-jwt"}"#)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/whoami", method: .get, headers: [.authorization: "Bearer \(token)x"]) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("JWT was refused"))
                #expect(!String(buffer: response.body).contains(String(token.prefix(20))))
            }
        }
    }
}
