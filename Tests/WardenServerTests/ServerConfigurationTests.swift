import Testing
import WardenCore
import WardenRegistry

@testable import WardenServer

struct ServerConfigurationTests {
    @Test func anEmptyFileKeepsEveryDefault() throws {
        let configuration = try ServerConfiguration(yaml: "", source: "warden.yaml")
        #expect(configuration == ServerConfiguration())
        #expect(configuration.gates.requirements(for: "production") == .production)
        #expect(configuration.http.port == 8080 && configuration.limits.maxArtefactBytes == 8 << 30)
    }

    @Test func everyKeyIsRead() throws {
        let text = """
            data: /srv/warden
            http: {host: 0.0.0.0, port: 9443, idle_timeout: 12.5, tls: {certificate: cert.pem, key: key.pem}}
            database: {url: "postgres://warden@127.0.0.1:5432/warden", max_connections: 4}
            limits: {max_artefact_bytes: 1048576, max_json_bytes: 65536, max_results: 500}
            auth:
              admin_token_file: admin.token
              token_cache_seconds: 5
              token_cache_entries: 100
              basic_auth: false
              jwt: {jwks_file: jwks.json, issuer: "https://idp", audience: warden, roles_claim: groups, team_claim: dept}
            audit: {checkpoint_every: 50, signing_key: server.pem}
            trusted_keys: [keys/a.pem, keys/b.pem]
            gates:
              production: {signature: true, trusted_key_ids: [abc], scan_below: medium, provenance: true, approvals: 2}
              staging: {scan_below: critical}
            principals:
              - id: alice
                roles: [maintainer]
                attributes: {team: risk}
                grants: [{models: "fraud*", role: reviewer}]
              - {id: bob, name: Bob, roles: [reader, reviewer]}
            """
        let c = try ServerConfiguration(yaml: text, source: "warden.yaml")
        #expect(c.data == "/srv/warden")
        #expect(c.http.host == "0.0.0.0" && c.http.port == 9443 && c.http.tlsCertificate == "cert.pem" && c.http.tlsKey == "key.pem" && c.http.idleTimeout == 12.5)
        #expect(c.database.url == "postgres://warden@127.0.0.1:5432/warden" && c.database.maxConnections == 4)
        #expect(c.limits.maxArtefactBytes == 1_048_576 && c.limits.maxJSONBytes == 65536 && c.limits.maxResults == 500)
        #expect(c.auth.adminTokenFile == "admin.token" && c.auth.tokenCacheSeconds == 5 && c.auth.tokenCacheEntries == 100 && !c.auth.basicAuth)
        #expect(c.auth.jwt?.jwksFile == "jwks.json" && c.auth.jwt?.issuer == "https://idp" && c.auth.jwt?.audience == "warden")
        #expect(c.auth.jwt?.rolesClaim == "groups" && c.auth.jwt?.teamClaim == "dept")
        #expect(c.audit.checkpointEvery == 50 && c.audit.signingKey == "server.pem")
        #expect(c.trustedKeys == ["keys/a.pem", "keys/b.pem"])
        #expect(c.gates.requirements(for: "production") == .init(signature: true, trustedKeyIDs: ["abc"], scanBelow: "medium", provenance: true, approvals: 2))
        #expect(c.gates.requirements(for: "staging") == .init(signature: false, scanBelow: "critical", provenance: false, approvals: 0))
        #expect(c.gates.requirements(for: "champion") == .none)
        #expect(c.principals.count == 2)
        #expect(c.principals[0] == Principal(id: "alice", name: "alice", roles: [.maintainer], grants: [.init(models: "fraud*", role: .reviewer)], attributes: ["team": "risk"]))
        #expect(c.principals[1].name == "Bob" && c.principals[1].roles == [.reader, .reviewer])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var mentions: String
        var testDescription: String { mentions }
    }

    static let bad: [BadCase] = [
        .init(yaml: "gates: {production: {signatur: true}}", mentions: "gates.production.signatur"),
        .init(yaml: "limit: {}", mentions: "unknown key 'limit'"),
        .init(yaml: "http: {port: 70000}", mentions: "http.port"),
        .init(yaml: "http: {port: eighty}", mentions: "http.port"),
        .init(yaml: "http: {idle_timeout: 0}", mentions: "http.idle_timeout"),
        .init(yaml: "http: {idle_timeout: forever}", mentions: "http.idle_timeout"),
        .init(yaml: "http: {idle_timeout: .nan}", mentions: "http.idle_timeout"),
        .init(yaml: "http: {tls: {certificate: c.pem}}", mentions: "both"),
        .init(yaml: "gates: {production: {scan_below: severe}}", mentions: "scan_below"),
        .init(yaml: "gates: {production: {approvals: -1}}", mentions: "approvals"),
        .init(yaml: "principals: [{id: a, roles: [superuser]}]", mentions: "superuser"),
        .init(yaml: "principals: [{id: a}, {id: a}]", mentions: "twice"),
        .init(yaml: "principals: {id: a}", mentions: "must be a list"),
        .init(yaml: "trusted_keys: keys/a.pem", mentions: "list of strings"),
        .init(yaml: "auth: {basic_auth: maybe}", mentions: "true or false"),
        .init(yaml: "auth: {jwt: {issuer: x}}", mentions: "jwks_file"),
        .init(yaml: "data: [a, b]", mentions: "'data' must be a string"),
        .init(yaml: "- just\n- a list", mentions: "must be a mapping"),
        .init(yaml: "a: &x 1\nb: *x", mentions: "unknown key"),
        .init(yaml: "gates: {production: {signature: true, signature: false}}", mentions: "signature"),
        .init(yaml: "http: {host: [unclosed", mentions: "not valid YAML"),
    ]

    @Test(arguments: bad) func mistakesAreNamed(_ item: BadCase) throws {
        do {
            _ = try ServerConfiguration(yaml: item.yaml, source: "'warden.yaml'")
            Issue.record("accepted: \(item.yaml)")
        } catch let error as WardenError {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains(item.mentions), "\(error.message)")
            #expect(error.message.hasPrefix("'warden.yaml'"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func theDocumentedExampleParses() throws {
        // docs/configuration.md's full example must stay valid.
        let docs = try String(contentsOfFile: #filePath.replacingOccurrences(of: "Tests/WardenServerTests/ServerConfigurationTests.swift", with: "docs/configuration.md"), encoding: .utf8)
        let start = try #require(docs.range(of: "```yaml\n"))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let configuration = try ServerConfiguration(yaml: String(docs[start.upperBound..<end.lowerBound]), source: "docs/configuration.md")
        #expect(configuration.gates.requirements(for: "production") == .production)
    }
}
