import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Request size limits: JSON bodies and artefacts (native and MLflow) over their limits get 413 and leave nothing
/// behind; malformed, truncated and deep JSON get a one-line 400.
struct RequestLimitsTests {
    @Test func oversizedAndMalformedBodiesAreRefused() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let configuration = ServerConfiguration().with {
            $0.data = folder.path
            $0.limits.maxJSONBytes = 4096
            $0.limits.maxArtefactBytes = 64 << 10
        }
        let registry = Registry(store: InMemoryRegistryStore())
        let server = RegistryServer(registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: configuration)
        let token = try await registry.createToken(name: "mia", role: .maintainer, by: Principal(id: "root", name: "root", roles: [.admin])).plaintext
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: [UInt8]) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(bytes: body)) { response in
                    (response.status, String(buffer: response.body))
                }
            }
            let big = Array(#"{"name":"x","description":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 8000) + Array(#""}"#.utf8)
            #expect(try await send(.post, "/api/v1/models", big).0 == .contentTooLarge)
            #expect(try await send(.post, "/api/2.0/mlflow/registered-models/create", big).0 == .contentTooLarge)
            let (status, text) = try await send(.put, "/api/v1/blobs", [UInt8](repeating: 7, count: (64 << 10) + 1))
            #expect(status == .contentTooLarge && text.contains("REQUEST_TOO_LARGE"))
            #expect(try await send(.put, "/api/v1/blobs", [UInt8](repeating: 7, count: 64 << 10)).0 == .created)
            // The MLflow artefact proxy has the same limit.
            let experiment = try await send(.post, "/api/2.0/mlflow/experiments/create", Array(#"{"name":"e"}"#.utf8)).1
            let id = try #require(try JSONParser().parse(experiment)["experiment_id"]?.stringValue)
            let run = try await send(.post, "/api/2.0/mlflow/runs/create", Array(#"{"experiment_id":"\#(id)"}"#.utf8)).1
            let runID = try #require(try JSONParser().parse(run)["run"]?["info"]?["run_id"]?.stringValue)
            let artefact = "/api/2.0/mlflow-artifacts/artifacts/\(id)/\(runID)/artifacts/w.bin"
            let (proxied, refusal) = try await send(.put, artefact, [UInt8](repeating: 8, count: (64 << 10) + 1))
            #expect(proxied == .contentTooLarge && refusal.contains("REQUEST_TOO_LARGE"), "\(proxied) \(refusal)")
            #expect(try await send(.get, "/api/2.0/mlflow-artifacts/artifacts/\(id)/\(runID)/artifacts/w.bin", []).0 == .notFound)
            #expect(try await send(.put, artefact, [UInt8](repeating: 8, count: 64 << 10)).0 == .ok)
            let deep = Array(String(repeating: "[", count: 100).utf8) + Array(String(repeating: "]", count: 100).utf8)
            for body in [Array("{".utf8), Array(#"{"name": "x""#.utf8), deep, [0xFF, 0xFE], Array("null".utf8), Array(#"{"name": 5}"#.utf8)] {
                let (status, text) = try await send(.post, "/api/v1/models", body)
                #expect(status == .badRequest, "\(body.prefix(20)): \(status) \(text)")
                #expect(!text.contains("\n") && text.contains("error_code"))
            }
        }
        // Nothing half-written stays behind: only the accepted blob exists, no temp files.
        let tmp = (try? FileManager.default.contentsOfDirectory(atPath: folder.url("blobs/tmp"))) ?? []
        #expect(tmp.isEmpty, "\(tmp)")
        let stored = try FileManager.default.subpathsOfDirectory(atPath: folder.url("blobs/sha256")).filter { $0.contains("/") }
        #expect(stored.count == 2)
    }

    /// Temp files of uploads a crash cut off are removed on the next start once they are a day old;
    /// younger ones (perhaps another replica's upload in progress) and other files stay.
    @Test func staleUploadsAreRemovedOnStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let tmp = folder.url("data/blobs/tmp")
        try FileIO.makeDirectory(tmp)
        for name in [".upload.tmp-old111", ".upload.tmp-new222", "keep.txt"] { try FileIO.writeAtomically(Array("x".utf8), to: tmp + "/" + name) }
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for name in [".upload.tmp-old111", "keep.txt"] {
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-2 * 86_400)], ofItemAtPath: tmp + "/" + name)
        }
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-3600)], ofItemAtPath: tmp + "/.upload.tmp-new222")
        _ = try await RegistryServer.open(configuration: ServerConfiguration().with { $0.data = folder.url("data") }, adminToken: nil, clock: .fixed(now))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted() == [".upload.tmp-new222", "keep.txt"])
    }
}
