import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenGuard
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Adversarial/OOD screening over HTTP with reference data: far rows refused (reject) or queued
/// (review); the review queue only for reviewers and admins, with hostile resolutions refused and
/// every access audited.
struct InferenceAdversarialTests {
    typealias API = InferenceAPITests

    static func setup(_ action: AdversarialDetector.Action) async throws -> API.Setup {
        var random = SeededGenerator(seed: 5)
        var csv = "a,b,c,label\n"
        for _ in 0..<200 {
            let x = (0..<3).map { _ in Double.random(in: 0...1, using: &random) }
            csv += "\(x[0]),\(x[1]),\(x[2]),\(x[0] > 0.5 ? 1 : 0)\n"
        }
        var policy = AdversarialDetector.Policy()
        policy.action = action
        policy.squeezeBits = nil
        let s = try await API.setup { $0.adversarial = policy }
        let path = try s.folder.write("reference.csv", Array(csv.utf8))
        var configuration = s.server.configuration
        configuration.inference.references = ["lin": .init(data: path, label: "label")]
        let server = RegistryServer(registry: s.server.registry, blobs: BlobStore(root: s.folder.url("blobs")), trustedKeys: [], configuration: configuration)
        return API.Setup(folder: s.folder, server: server, client: s.client, reader: s.reader, granted: s.granted)
    }

    static func row(_ values: String) -> String { #"{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [\#(values)]}]}"# }

    @Test func farRowsAreRejected() async throws {
        let s = try await Self.setup(.reject)
        defer { s.folder.remove() }
        try await Application(router: s.server.router()).test(.router) { client in
            let near = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.row("0.5, 0.5, 0.5"))
            #expect(near.status == .ok, "\(near)")
            let far = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.row("90, -90, 90"))
            #expect(far.status == .badRequest && far.body.contains("out of distribution") && far.body.contains("mahalanobis"), "\(far)")
            let metrics = try await API.send(client, .get, "/metrics", token: nil).body
            #expect(metrics.contains(#"guard_adversarial_detections_total{detector="mahalanobis"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"guard_rejections_total{reason="adversarial"} 1"#))
        }
        await s.server.auditQueue.drain()
        let events = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).filter { $0.action == "guard.adversarial" }
        #expect(events.count == 1 && events.first?.details["reasons"]?.arrayValue == ["mahalanobis"])
    }

    @Test func reviewQueueForReviewersOnly() async throws {
        let s = try await Self.setup(.review)
        defer { s.folder.remove() }
        let reviewer = try await s.server.registry.createToken(name: "vera", role: .reviewer, by: API.admin).plaintext
        try await Application(router: s.server.router()).test(.router) { client in
            let far = try await API.send(client, .post, "/v2/models/lin/infer", token: s.client, Self.row("90, -90, 90"))
            #expect(far.status == .ok, "\(far)")
            let noToken = try await API.send(client, .get, "/v2/guard/reviews", token: nil)
            #expect(noToken.status == .unauthorized)
            let notReviewer = try await API.send(client, .get, "/v2/guard/reviews", token: s.client)
            #expect(notReviewer.status == .forbidden && notReviewer.body.contains("reviewer"))
            let list = try API.json(try await API.send(client, .get, "/v2/guard/reviews?status=open", token: reviewer).body)
            let item = try #require(list["reviews"]?.arrayValue?.first)
            #expect(item["client"]?.stringValue == "app" && item["status"]?.stringValue == "open" && item["model"]?.stringValue == "lin/1")
            let id = try #require(item["id"]?.stringValue)
            for (body, status) in [
                ("{", HTTPResponse.Status.badRequest), (#"{"verdict": "maybe"}"#, .badRequest), (#"{"verdict": "benign", "note": 7}"#, .badRequest),
                (String(repeating: " ", count: 5000) + "{}", .contentTooLarge),
            ] {
                let reply = try await API.send(client, .post, "/v2/guard/reviews/\(id)/resolve", token: reviewer, body)
                #expect(reply.status == status && !reply.body.contains("\n") && reply.body.contains("error"), "\(body.prefix(30)): \(reply)")
            }
            #expect(try await API.send(client, .post, "/v2/guard/reviews/r999/resolve", token: reviewer, #"{"verdict": "benign"}"#).status == .notFound)
            #expect(try await API.send(client, .post, "/v2/guard/reviews/\(id)/resolve", token: s.client, #"{"verdict": "benign"}"#).status == .forbidden)
            let resolved = try API.json(
                try await API.send(client, .post, "/v2/guard/reviews/\(id)/resolve", token: reviewer, #"{"verdict": "adversarial", "note": "probe"}"#).body)
            #expect(resolved["status"]?.stringValue == "resolved" && resolved["verdict"]?.stringValue == "adversarial" && resolved["resolved_by"]?.stringValue == "vera")
            let open = try API.json(try await API.send(client, .get, "/v2/guard/reviews?status=open", token: reviewer).body)
            #expect(open["reviews"]?.arrayValue?.isEmpty == true)
        }
        await s.server.auditQueue.drain()
        let actions = try await s.server.registry.store.auditEvents(from: 1, limit: 1000).map(\.action)
        #expect(actions.contains("guard.review.resolve") && actions.contains("guard.review.list") && actions.contains("guard.adversarial"))
    }

    @Test func configurationReadsAdversarial() throws {
        let c = try ServerConfiguration(
            yaml: "inference: {adversarial: {action: review, quantile: 0.99, squeeze_bits: 0, references: {digits: {data: d.csv, label: y}}}}", source: "w")
        #expect(c.inference.adversarial?.action == .review && c.inference.adversarial?.quantile == 0.99 && c.inference.adversarial?.squeezeBits == nil)
        #expect(c.inference.references["digits"] == .init(data: "d.csv", label: "y"))
        #expect(try ServerConfiguration(yaml: "", source: "w").inference.adversarial == nil)
        #expect(throws: WardenError.self) { try ServerConfiguration(yaml: "inference: {adversarial: {action: shoot}}", source: "w") }
        #expect(throws: WardenError.self) { try ServerConfiguration(yaml: "inference: {adversarial: {references: {d: {label: y}}}}", source: "w") }
    }
}
