import Foundation
import Logging
import Testing
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenTesting

@testable import WardenServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The registry over real HTTP: a server on a free port, requests with URLSession.
struct RegistryServerTests {
    let quiet: Logger = {
        var logger = Logger(label: "test.serve")
        logger.logLevel = .critical
        return logger
    }()

    struct Client {
        let base: String
        let token: String?

        func call(_ method: String, _ path: String, json: JSONValue? = nil, body: [UInt8]? = nil) async throws -> (Int, JSONValue?, Data) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let json {
                request.httpBody = Data(json.compactString.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            if let body { request.httpBody = Data(body) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as! HTTPURLResponse).statusCode
            let parsed = try? JSONParser().parse(Array(data), source: "response")
            return (status, parsed, data)
        }
    }

    /// Starts a server, runs `body`, stops the server.
    func withServer(_ body: (RegistryServer, String, String) async throws -> Void) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let key = SigningKey(generating: .p256)
        try FileIO.writeAtomically(key.pkcs8PEMText, to: folder.url("private.pem"))
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        let server = try await RegistryServer.open(data: folder.url("data"), trustedKeys: [key.publicKey], adminToken: admin)
        let running = try await server.start(logger: quiet)
        defer { running.stop() }
        let bound = running.port
        try await body(server, "http://127.0.0.1:\(bound)", admin)
    }

    @Test func authenticationIsRequiredAndDenialsAreAudited() async throws {
        try await withServer { _, base, admin in
            #expect(try await Client(base: base, token: nil).call("GET", "/healthz").0 == 200)
            #expect(try await Client(base: base, token: nil).call("GET", "/api/v1/models").0 == 401)
            #expect(try await Client(base: base, token: "wdn_000000000000_" + String(repeating: "A", count: 43)).call("GET", "/api/v1/models").0 == 401)
            #expect(try await Client(base: base, token: admin + "x").call("GET", "/api/v1/models").0 == 401)
            let (status, json, _) = try await Client(base: base, token: admin).call("GET", "/api/v1/audit")
            #expect(status == 200)
            let actions = json?["events"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(actions.filter { $0 == "auth.denied" }.count == 2)
            let events = try json?["events"]?.arrayValue?.map { try AuditEvent(json: $0, source: "api") } ?? []
            #expect(AuditChain().verify(events) == nil)
            // The secret never reaches the audit chain.
            #expect(!(json?.compactString.contains(String(admin.suffix(20))) ?? true))
        }
    }

    @Test func uploadSignedVersionGatesAndDownload() async throws {
        let key = SigningKey(generating: .p256)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        let server = try await RegistryServer.open(data: folder.url("data"), trustedKeys: [key.publicKey], adminToken: admin)
        let running = try await server.start(logger: quiet)
        defer { running.stop() }
        let client = Client(base: "http://127.0.0.1:\(running.port)", token: admin)

        #expect(try await client.call("POST", "/api/v1/models", json: ["name": "fraud"]).0 == 201)
        #expect(try await client.call("POST", "/api/v1/models", json: ["name": "fraud"]).0 == 409)
        #expect(try await client.call("POST", "/api/v1/models", json: ["name": "../x"]).0 == 400)
        #expect(try await client.call("POST", "/api/v1/models", body: Array("{not json".utf8)).0 == 400)

        // A model folder, signed and attested locally, then uploaded.
        let weights: [UInt8] = (0..<5000).map { UInt8($0 % 251) }
        _ = try folder.write("model/weights.bin", weights)
        _ = try folder.write("model/config.json", "{}")
        let manifest = try ModelHasher(serialization: ModelSerialization()).manifest(for: folder.url("model"))
        let bundle = try ModelSigner(key: key).sign(manifest)
        let statement = InTotoStatement(
            subjects: [.init(name: "weights.bin", digest: ["sha256": Digest.sha256(weights).hex]), .init(name: "config.json", digest: ["sha256": Digest.sha256("{}").hex])],
            predicateType: SLSAProvenance.predicateType, predicate: ["buildDefinition": ["buildType": "x"]])
        let envelope = try DSSEEnvelope.sign(payload: statement.payloadBytes, payloadType: DSSEEnvelope.inTotoPayloadType, key: key, keyID: key.publicKey.keyID)

        func upload(_ bytes: [UInt8]) async throws -> String {
            let (status, json, _) = try await client.call("PUT", "/api/v1/blobs", body: bytes)
            #expect(status == 201)
            return json?["digest"]?.stringValue ?? ""
        }
        let weightsDigest = try await upload(weights)
        #expect(weightsDigest == Digest.sha256(weights).description)
        let configDigest = try await upload(Array("{}".utf8))
        let signatureDigest = try await upload(Array(bundle.jsonText.utf8))
        let provenanceDigest = try await upload(Array(envelope.json.compactString.utf8))

        let artefacts: JSONValue = [["path": "weights.bin", "digest": .string(weightsDigest)], ["path": "config.json", "digest": .string(configDigest)]]
        let (created, version, _) = try await client.call(
            "POST", "/api/v1/models/fraud/versions",
            json: ["artefacts": artefacts, "signature": .string(signatureDigest), "provenance": .string(provenanceDigest)])
        #expect(created == 201)
        #expect(version?["version"]?.intValue == 1)
        #expect(version?["signature"]?["passed"]?.boolValue == true)
        #expect(version?["provenance"]?["passed"]?.boolValue == true)

        // A version whose signature does not cover its files fails the signature check.
        let (_, tampered, _) = try await client.call(
            "POST", "/api/v1/models/fraud/versions",
            json: ["artefacts": [["path": "weights.bin", "digest": .string(configDigest)], ["path": "config.json", "digest": .string(configDigest)]], "signature": .string(signatureDigest)])
        #expect(tampered?["signature"]?["passed"]?.boolValue == false)

        // Traversal paths and unknown blobs are refused.
        #expect(try await client.call("POST", "/api/v1/models/fraud/versions", json: ["artefacts": [["path": "../etc/passwd", "digest": .string(configDigest)]]]).0 == 400)
        #expect(try await client.call("POST", "/api/v1/models/fraud/versions", json: ["artefacts": [["path": "a", "digest": .string(Digest.sha256("none").description)]]]).0 == 400)

        // The upload was scanned; production still needs an approval by someone else: 409 naming it.
        #expect(version?["scan"]?["report_digest"]?.stringValue?.hasPrefix("sha256:") == true)
        let (refused, reason, _) = try await client.call("PUT", "/api/v1/models/fraud/aliases/production", json: ["version": 1])
        #expect(refused == 409)
        #expect(reason?["message"]?.stringValue?.contains("approval") == true)
        #expect(reason?["message"]?.stringValue?.contains("signature") == false)
        #expect(try await client.call("PUT", "/api/v1/models/fraud/aliases/staging", json: ["version": 1]).0 == 200)

        let (ok, _, data) = try await client.call("GET", "/api/v1/models/fraud/versions/1/artefacts/weights.bin")
        #expect(ok == 200)
        #expect(Array(data) == weights)
        #expect(try await client.call("GET", "/api/v1/models/fraud/versions/1/artefacts/nope.bin").0 == 404)
        #expect(try await client.call("GET", "/api/v1/models/nope").0 == 404)
    }
}
