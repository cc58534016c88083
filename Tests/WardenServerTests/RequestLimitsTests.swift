import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Request size limits: JSON bodies and artefacts over their limits get 413 and leave nothing
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
        #expect(stored.count == 1)
    }
}
