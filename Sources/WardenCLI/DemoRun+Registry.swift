import Foundation
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenServer

/// The demo's registry stage: a real `warden serve` registry on loopback, the signed and attested
/// model pushed over HTTP by a maintainer, the production gates refusing it (each failed gate
/// named), a reviewer's approval, promotion to staging, a pull that re-verifies every digest, and
/// the registry's audit chain verified.
extension DemoRun {
    func asyncStep(_ name: String, _ body: () async throws -> String) async {
        do {
            let detail = try await body()
            steps.append(Step(name: name, status: .ok, detail: detail))
            if !quiet { Console.output("[ ok ] \(name): \(detail)") }
        } catch {
            steps.append(Step(name: name, status: .failed, detail: "\(error)"))
            if !quiet { Console.output("[FAIL] \(name): \(error)") }
        }
    }

    func registryStage(model: String, signature: String, provenance: String, publicKey: String) async {
        await asyncStep("registry") {
            let data = root + "/registry"
            let adminToken = APIToken.issue(for: "admin", name: "demo admin", now: 0).plaintext
            let server = try await RegistryServer.open(data: data, trustedKeys: [try PublicKey(file: publicKey)], adminToken: adminToken)
            var logger = Logger(label: "warden.demo.registry")
            logger.logLevel = .critical
            let running = try await server.start(logger: logger)
            defer { running.stop() }
            let bound = running.port
            let url = "http://127.0.0.1:\(bound)"

            let admin = try RegistryClient(server: url, token: adminToken)
            let maintainer = try await admin.call(.POST, "/tokens", json: ["name": "mia", "role": "maintainer"])["token"]?.stringValue ?? ""
            let reviewer = try await admin.call(.POST, "/tokens", json: ["name": "rob", "role": "reviewer", "models": ["demo-model"]])["token"]?.stringValue ?? ""
            let mia = try RegistryClient(server: url, token: maintainer)
            let rob = try RegistryClient(server: url, token: reviewer)

            try await mia.call(.POST, "/models", json: ["name": "demo-model"])
            var uploaded: [JSONValue] = []
            for file in try FileTree().files(under: model) {
                let digest = try await mia.upload(file: file.absolutePath) { _ in }
                uploaded.append(["path": .string(file.relativePath), "digest": .string(digest.description)])
            }
            let version = try await mia.call(
                .POST, "/models/demo-model/versions",
                json: [
                    "artefacts": .array(uploaded), "signature": .string(try await mia.upload(file: signature) { _ in }.description),
                    "provenance": .string(try await mia.upload(file: provenance) { _ in }.description),
                ])
            guard version["signature"]?["passed"] == true, version["provenance"]?["passed"] == true else {
                throw WardenError.internalError("the registry did not verify the demo's signature and provenance: \(version.compactString.prefix(300))")
            }
            func refusal(_ client: RegistryClient) async throws -> String {
                do {
                    try await client.call(.PUT, "/models/demo-model/aliases/production", json: ["version": 1])
                    return ""
                } catch let failure as RegistryClient.Failure where failure.code == "GATES_FAILED" {
                    return failure.message
                }
            }
            let before = try await refusal(mia)
            guard before.contains("approval") else { throw WardenError.internalError("production was not refused for want of an approval: '\(before)'") }
            do {
                try await mia.call(.POST, "/models/demo-model/versions/1/approve", json: [:])
                throw WardenError.internalError("the uploader approved their own version")
            } catch let failure as RegistryClient.Failure where failure.status == 403 {}
            try await rob.call(.POST, "/models/demo-model/versions/1/approve", json: ["comment": "demo review"])
            let after = try await refusal(mia)
            try await mia.call(.PUT, "/models/demo-model/aliases/staging", json: ["version": 1])

            let pulled = root + "/registry-pull"
            for item in uploaded {
                let path = item["path"]?.stringValue ?? ""
                let digest = try Digest(parsing: item["digest"]?.stringValue ?? "")
                try await rob.download("/models/demo-model/versions/1/artefacts/\(path)", to: pulled + "/" + path, expected: digest) { _ in }
            }
            let events = try await server.registry.store.auditEvents(from: 1, limit: 100_000)
            guard AuditChain().verify(events) == nil else { throw WardenError.internalError("the registry's audit chain does not verify") }
            self.artefacts.append(("registry data (SQLite, blobs)", data))
            let production = after.isEmpty ? "promoted to production" : "production still refused: \(after)"
            return "pushed \(uploaded.count) files as demo-model v1 (signature and provenance verified by the server); production refused before approval (\(before.split(separator: ":").first ?? "")…); self-approval denied; approved by a reviewer; \(production); staging → v1; pulled and re-verified every digest; audit chain of \(events.count) entries intact"
        }
    }
}
