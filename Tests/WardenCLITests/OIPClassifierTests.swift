import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import WardenAnalysis
import WardenCore
import WardenGuard
import WardenModels
import WardenRegistry
import WardenServer
import WardenTensor
import WardenTesting

@testable import WardenCLI

/// Black-box attacks through a real `warden serve --model` gateway started in-process: the remote
/// attack finds exactly what the same attack finds on the local ONNX file, queries are counted, a
/// 429 is retried after its Retry-After (within the bound), and an unreachable endpoint, a refused
/// token and an unknown model are one-line errors.
struct OIPClassifierTests {
    static let admin = Principal(id: "root", name: "root", roles: [.admin])

    /// `logits = [x0 − x1, x1 − x0]` on three inputs, exported by Warden's ONNX exporter.
    static func modelBytes() throws -> [UInt8] {
        let dense = try Dense(weight: try Tensor(shape: [2, 3], scalars: [1, -1, 0, -1, 1, 0]), bias: try Tensor(shape: [2], scalars: [0, 0]))
        return try ONNXExporter.export(Sequential([dense]), inputShape: [3], metadata: [(ModelSchema.rangesMetadataKey, #"{"input": [[-10, 10], [-10, 10], [-10, 10]]}"#)])
    }

    struct Gateway {
        var folder: TemporaryDirectory
        var running: RunningServer
        var token: String
        var model: String
        var url: String { "http://127.0.0.1:\(running.port)" }
    }

    static func start(rate: RateLimiter.Policy = RateLimiter.Policy()) async throws -> Gateway {
        let folder = try TemporaryDirectory()
        let path = try folder.write("pair.onnx", try modelBytes())
        let configuration = ServerConfiguration().with {
            $0.data = folder.path
            $0.inference.models = ["pair": path]
            $0.inference.rate = rate
        }
        let registry = Registry(store: InMemoryRegistryStore(), gates: GatePolicy(aliases: [:]), clock: .system)
        let server = RegistryServer(registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: configuration)
        let token = try await registry.createToken(name: "attacker", role: .inferenceClient, by: admin).plaintext
        let running = try await server.start(logger: Logger(label: "test.oip-attack"))
        return Gateway(folder: folder, running: running, token: token, model: path)
    }

    /// Runs blocking HTTP work on a Dispatch thread, off the cooperative pool the server's handlers need.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Rows near the boundary `x0 = x1`, labelled by the model's own answer.
    static let rows: [Float] = [0.55, 0.45, 0.5, 0.4, 0.52, 0.1, 0.7, 0.3, 0.9, 0.35, 0.45, 0.2]
    static let labels = [0, 1, 0, 1]

    @Test func squareAgainstTheGatewayMatchesTheLocalModel() async throws {
        let gateway = try await Self.start()
        defer { gateway.running.stop(); gateway.folder.remove() }
        var settings = AttackSettings(kind: .square)
        settings.epsilon = 0.1
        settings.steps = 40
        settings.seed = 9
        let (url, token, fixed) = (gateway.url, gateway.token, settings)
        let (remote, queries) = try await Self.blocking {
            let classifier = try OIPClassifier(endpoint: url, model: "pair", token: token)
            let outcome = try AdversarialAttack(settings: fixed).run(on: classifier, features: Self.rows, labels: Self.labels)
            return (outcome, classifier.queries)
        }
        let local = try AdversarialAttack(settings: settings).run(
            on: try ONNXClassifier(model: try ONNXModel(contentsOf: gateway.model)), features: Self.rows, labels: Self.labels)
        #expect(remote.adversarial == local.adversarial && remote.predictions == local.predictions)
        #expect(remote.report.successRate == local.report.successRate && remote.report.successRate > 0)
        #expect(remote.report.queriesMedian == local.report.queriesMedian)
        // Clean and final predictions (4 rows each) plus the attack's own queries.
        #expect(queries > 8 && queries <= 8 + 4 * 42, "\(queries)")
    }

    @Test func retriesAfterRetryAfterAndRefusesLongWaits() async throws {
        let gateway = try await Self.start(rate: RateLimiter.Policy(ratePerSecond: 1, burst: 1, dailyBudget: 1000))
        defer { gateway.running.stop(); gateway.folder.remove() }
        let (url, token) = (gateway.url, gateway.token)
        let waits = Mutex<[Double]>([])
        let scores = try await Self.blocking {
            let classifier = try OIPClassifier(endpoint: url, model: "pair", token: token) { seconds in
                waits.withLock { $0.append(seconds) }
                Thread.sleep(forTimeInterval: seconds)
            }
            // Back-to-back calls drain the one-token bucket, so one of them meets a 429 (the first
            // alone may not: on a loaded machine more than a second can pass after the set-up).
            var scores: [Float] = []
            for _ in 0..<5 where waits.withLock({ $0.isEmpty }) {
                scores = try classifier.scores([0.6, 0.4, 0], rows: 1)
            }
            return scores
        }
        #expect(scores.count == 2 && abs(scores[0] - 0.2) < 1e-5)
        #expect(waits.withLock { $0 } == [1], "\(waits.withLock { $0 })")
        await #expect {
            try await Self.blocking {
                let classifier = try OIPClassifier(endpoint: url, model: "pair", token: token, maxRetryWait: 0.5) { _ in }
                for _ in 0..<5 { _ = try classifier.scores([0.6, 0.4, 0], rows: 1) }
            }
        } throws: { "\($0)".contains("rate-limits") && "\($0)".contains("more than 0 s") }
    }

    @Test func badEndpointsAreClearErrors() async throws {
        let gateway = try await Self.start()
        defer { gateway.running.stop(); gateway.folder.remove() }
        let url = gateway.url, token = gateway.token
        for (endpoint, model, secret, expected) in [
            (url, "pair", "wdn_wrong", "refused the request (401"),
            (url, "nothing", token, "has no model 'nothing'"),
            ("http://127.0.0.1:1", "pair", token, "Cannot reach the inference endpoint 'http://127.0.0.1:1'"),
            ("ftp://example", "pair", token, "not an http(s) URL"),
        ] {
            await #expect {
                // A short first deadline only where nothing listens (a busy machine may answer slowly).
                let wait: TimeAmount = endpoint.hasSuffix(":1") ? .seconds(2) : .seconds(30)
                try await Self.blocking { _ = try OIPClassifier(endpoint: endpoint, model: model, token: secret, connectTimeout: wait) }
            } throws: { error in
                "\(error)".contains(expected) && !"\(error)".contains(secret == token ? token : "never")
            }
        }
    }
}
