import Foundation
import Logging
import Testing
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenServer
import WardenTesting

/// `warden registry …` as a user runs it: the real executable against a real server on loopback.
struct RegistryCommandTests {
    @Test func pushApprovePromotePullRollbackAndTokens() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let key = SigningKey(generating: .p256)
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        let server = try await RegistryServer.open(data: folder.url("data"), trustedKeys: [key.publicKey], adminToken: admin)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let running = try await server.start(logger: logger)
        defer { running.stop() }
        let url = "http://127.0.0.1:\(running.port)"

        func warden(_ arguments: [String], token: String? = nil) async throws -> WardenProcess.Result {
            var full = arguments + ["--server", url]
            if let token { full += ["--token", token] }
            return try await WardenProcess.run(full, in: folder, environment: ["WARDEN_CONFIG_DIR": folder.url("config")])
        }

        // Tokens: printed once, prefixed wdn_.
        let made = try await warden(["registry", "token", "create", "--role", "maintainer", "--name", "mia"], token: admin)
        #expect(made.status == 0, "\(made.stderr)")
        let mia = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mia.hasPrefix("wdn_") && APIToken.parse(mia) != nil)
        let rob = try await warden(["registry", "token", "create", "--role", "reviewer", "--name", "rob", "--model", "fraud"], token: admin)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await warden(["registry", "token", "create", "--role", "maintainer", "--name", "x"], token: mia).status == 1)
        #expect(try await warden(["registry", "token", "create", "--role", "wizard", "--name", "x"], token: admin).status == 2)

        // A signed, attested model folder.
        let weights: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try folder.write("model/weights.bin", weights)
        _ = try folder.write("model/config.json", "{\"layers\": 2}")
        let manifest = try ModelHasher(serialization: ModelSerialization()).manifest(for: folder.url("model"))
        _ = try folder.write("model.sig", try ModelSigner(key: key).sign(manifest).jsonText)
        let statement = InTotoStatement(
            subjects: [
                .init(name: "weights.bin", digest: ["sha256": Digest.sha256(weights).hex]),
                .init(name: "config.json", digest: ["sha256": Digest.sha256("{\"layers\": 2}").hex]),
            ],
            predicateType: SLSAProvenance.predicateType, predicate: ["buildDefinition": ["buildType": "x"]])
        let envelope = try DSSEEnvelope.sign(payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: key.publicKey.keyID)
        _ = try folder.write("model.provenance.json", envelope.json.compactString)

        // Login saves the credentials (0600); later commands use them without --token.
        let login = try await warden(["registry", "login"], token: mia)
        #expect(login.status == 0, "\(login.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: folder.url("config/credentials.json"))[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let pushed = try await warden([
            "registry", "push", "fraud", folder.url("model"), "--signature", folder.url("model.sig"), "--provenance", folder.url("model.provenance.json"), "--json",
        ])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.json?["version"]?.intValue == 1)
        #expect(pushed.json?["signature"]?["passed"] == true && pushed.json?["provenance"]?["passed"] == true)

        // The upload was scanned (clean files) and the report kept.
        #expect(pushed.json?["scan"]?["report_digest"]?.stringValue?.hasPrefix("sha256:") == true, "\(pushed.stdout)")
        // Production: refused, exit 1, the failed gate named (signature, provenance and scan pass).
        let refused = try await warden(["registry", "promote", "fraud", "1", "--to", "production"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("approval"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("signature:") && !refused.stderr.contains("scan:"), "\(refused.stderr)")
        // The uploader cannot approve; the reviewer granted on fraud can.
        #expect(try await warden(["registry", "approve", "fraud", "1"]).status == 1)
        let approved = try await warden(["registry", "approve", "fraud", "1", "--comment", "ok"], token: rob)
        #expect(approved.status == 0, "\(approved.stderr)")
        let promoted = try await warden(["registry", "promote", "fraud", "1", "--to", "production", "--json"])
        #expect(promoted.status == 0, "\(promoted.stdout)\(promoted.stderr)")
        #expect(promoted.json?["to"]?.intValue == 1)
        // An unsigned version cannot follow it there.
        #expect(try await warden(["registry", "push", "fraud", folder.url("model/weights.bin")]).status == 0)
        let unsigned = try await warden(["registry", "promote", "fraud", "2", "--to", "production", "--json"])
        #expect(unsigned.status == 1 && unsigned.json?["error_code"]?.stringValue == "GATES_FAILED")
        let remaining = unsigned.json?["message"]?.stringValue ?? ""
        #expect(remaining.contains("signature") && remaining.contains("provenance") && remaining.contains("approval"), "\(remaining)")

        #expect(try await warden(["registry", "promote", "fraud", "1", "--to", "staging"]).status == 0)
        #expect(try await warden(["registry", "push", "fraud", folder.url("model/config.json")]).status == 0)
        #expect(try await warden(["registry", "promote", "fraud", "3", "--to", "staging"]).status == 0)
        let back = try await warden(["registry", "rollback", "fraud", "staging", "--json"])
        #expect(back.status == 0 && back.json?["to"]?.intValue == 1 && back.json?["from"]?.intValue == 3, "\(back.stdout)\(back.stderr)")

        let pulled = try await warden(["registry", "pull", "fraud", "--alias", "staging", "--out", folder.url("pulled")], token: rob)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(try FileIO.readAll(folder.url("pulled/weights.bin")) == weights)
        #expect(try await warden(["registry", "pull", "fraud", "--version", "9", "--out", folder.url("none")]).status == 2)

        let shown = try await warden(["registry", "show", "fraud", "--json"])
        #expect(shown.json?["versions"]?.arrayValue?.count == 3)
        #expect(shown.json?["aliases"]?["staging"]?.intValue == 1)
        #expect(try await warden(["registry", "list", "--json"]).json?["models"]?.arrayValue?.count == 1)

        // Revocation takes effect at once on this server.
        let id = String(rob.dropFirst(4).prefix(12))
        #expect(try await warden(["registry", "token", "revoke", id], token: admin).status == 0)
        #expect(try await warden(["registry", "show", "fraud"], token: rob).status == 1)
        #expect(try await warden(["registry", "list"], token: "not-a-token").status == 1)
    }
}
