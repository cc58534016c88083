import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// Artefacts encrypted at rest with a keyring (`encryption.keyring`): native and MLflow uploads
/// round-trip, no plaintext on disk, tampered or swapped blobs give an error rather than wrong
/// bytes, rotation keeps old blobs readable, and a wrong or missing key is a clear error.
struct EncryptionAtRestTests {
    /// Bytes no file under the data folder may contain once they are uploaded.
    static let marker = Array("PLAINTEXT-MARKER-that-must-never-reach-the-disk".utf8)

    /// An artefact of `size` bytes (seeded) that contains ``marker`` at several places.
    func artefact(_ size: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in stride(from: 0, to: size - Self.marker.count, by: max(Self.marker.count, size / 5)) {
            bytes.replaceSubrange(start..<start + Self.marker.count, with: Self.marker)
        }
        return bytes
    }

    struct Harness {
        let folder: TemporaryDirectory
        let admin = APIToken.issue(for: "admin", name: "t", now: 0).plaintext
        var data: String { folder.url("data") }
        var keys: String { folder.url("keys") }

        func open(keyring: String?) async throws -> RegistryServer {
            try await RegistryServer.open(
                configuration: ServerConfiguration().with {
                    $0.data = data
                    $0.encryption.keyring = keyring
                }, adminToken: admin)
        }
    }

    typealias Send = (HTTPRequest.Method, String, [UInt8]) async throws -> (HTTPResponse.Status, [UInt8], HTTPFields)

    func withClient(_ server: RegistryServer, _ token: String, _ body: @escaping @Sendable (Send) async throws -> Void) async throws {
        try await Application(router: server.router()).test(.router) { client in
            try await body { method, path, bytes in
                try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(bytes: bytes)) { response in
                    (response.status, Array(buffer: response.body), response.headers)
                }
            }
        }
    }

    /// Uploads `bytes` as the one artefact of a new version of `model`; returns the digest.
    func publish(_ bytes: [UInt8], model: String, _ send: Send) async throws -> Digest {
        let (status, body, _) = try await send(.put, "/api/v1/blobs", bytes)
        #expect(status == .created)
        let digest = try #require(try JSONParser().parse(body)["digest"]?.stringValue)
        _ = try await send(.post, "/api/v1/models", Array(#"{"name":"\#(model)"}"#.utf8))
        let (created, version, _) = try await send(.post, "/api/v1/models/\(model)/versions", Array(#"{"artefacts":[{"path":"model.bin","digest":"\#(digest)"}]}"#.utf8))
        #expect(created == .created, "\(String(decoding: version, as: UTF8.self))")
        #expect(try JSONParser().parse(version)["artefacts"]?.arrayValue?.first?["size"]?.intValue == Int64(bytes.count), "the recorded size is the plaintext's")
        return try Digest(parsing: digest)
    }

    /// Every file under `folder` (recursively).
    func files(under folder: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: folder).map { folder + "/" + $0 }.filter { FileIO.kind(of: $0) == .regular }
    }

    @Test func nativeAndMLflowArtefactsRoundTripAndNeverReachTheDiskInPlain() async throws {
        let h = Harness(folder: try TemporaryDirectory())
        defer { h.folder.remove() }
        let keyring = try Keyring.create(at: h.keys)
        let server = try await h.open(keyring: h.keys)
        let model = artefact(3 << 20 + 12_345, seed: 1)
        let logged = artefact(200_000, seed: 2)
        let admin = h.admin
        let outcome = try await withClient(server, admin) { send in
            let digest = try await publish(model, model: "fraud", send)
            let (status, body, headers) = try await send(.get, "/api/v1/models/fraud/versions/1/artefacts/model.bin", [])
            #expect(status == .ok && body == model)
            #expect(headers[.init("X-Warden-Digest")!] == digest.description)
            // The MLflow artefact proxy goes through the same store.
            let experiment = try JSONParser().parse(try await send(.post, "/api/2.0/mlflow/experiments/create", Array(#"{"name":"e"}"#.utf8)).1)
            let id = try #require(experiment["experiment_id"]?.stringValue)
            let run = try JSONParser().parse(try await send(.post, "/api/2.0/mlflow/runs/create", Array(#"{"experiment_id":"\#(id)"}"#.utf8)).1)
            let runID = try #require(run["run"]?["info"]?["run_id"]?.stringValue)
            let path = "/api/2.0/mlflow-artifacts/artifacts/\(id)/\(runID)/artifacts/weights.bin"
            #expect(try await send(.put, path, logged).0 == .ok)
            let (fetched, bytes, _) = try await send(.get, path, [])
            #expect(fetched == .ok && bytes == logged)
            let listing = try JSONParser().parse(try await send(.get, "/api/2.0/mlflow-artifacts/artifacts?path=\(id)/\(runID)/artifacts", []).1)
            #expect(listing["files"]?.arrayValue?.first?["file_size"]?.intValue == Int64(logged.count))
        }
        _ = outcome
        // Nothing under the data folder holds the plaintext: blobs, scan reports, database, tmp.
        let stored = try files(under: h.data)
        #expect(stored.count >= 4)
        for file in stored {
            let bytes = try FileIO.readAll(file, limit: 64 << 20)
            #expect(bytes.firstRange(of: Self.marker) == nil, "\(file) holds plaintext")
        }
        // Each blob is an encrypted file that `warden data decrypt` reads back.
        let blob = server.blobs.path(for: Digest.sha256(model))
        #expect(try EncryptedFile.header(of: blob).keyID == keyring.currentID)
        _ = try EncryptedFile.decrypt(blob, to: h.folder.url("out.bin"), keyring: keyring)
        #expect(try FileIO.readAll(h.folder.url("out.bin"), limit: 64 << 20) == model)
    }

    /// The response of a download of a damaged blob: nil when the request failed outright.
    func download(_ send: Send, _ path: String) async -> (HTTPResponse.Status, [UInt8])? {
        guard let (status, body, _) = try? await send(.get, path, []) else { return nil }
        return (status, body)
    }

    @Test func tamperedOrSwappedBlobsAreErrorsNotWrongBytes() async throws {
        let h = Harness(folder: try TemporaryDirectory())
        defer { h.folder.remove() }
        _ = try Keyring.create(at: h.keys)
        let server = try await h.open(keyring: h.keys)
        let big = artefact(3 << 20, seed: 3)
        let small = artefact(50_000, seed: 4)
        let other = artefact(50_000, seed: 5)
        try await withClient(server, h.admin) { send in
            let bigDigest = try await publish(big, model: "big", send)
            let smallDigest = try await publish(small, model: "small", send)
            let otherDigest = try await publish(other, model: "other", send)
            func overwrite(_ digest: Digest, _ change: (inout [UInt8]) -> Void) throws {
                let path = server.blobs.path(for: digest)
                var bytes = try FileIO.readAll(path, limit: 64 << 20)
                change(&bytes)
                chmod(path, 0o644)
                try FileIO.writeAtomically(bytes, to: path)
            }
            // A flipped bit late in the big blob: what was sent before is a true prefix, the
            // response never completes.
            try overwrite(bigDigest) { $0[$0.count - 1000] ^= 0x40 }
            if let (status, body) = await download(send, "/api/v1/models/big/versions/1/artefacts/model.bin") {
                #expect(body.count < big.count && Array(big.prefix(body.count)) == body, "\(status): \(body.count) bytes")
            }
            // A blob swapped for another (each chunk authenticates): the digest check refuses it.
            try overwrite(smallDigest) { $0 = (try? FileIO.readAll(server.blobs.path(for: otherDigest))) ?? [] }
            if let (_, body) = await download(send, "/api/v1/models/small/versions/1/artefacts/model.bin") {
                #expect(body.isEmpty, "\(body.count) bytes of another artefact were sent")
            }
            // A damaged header is a 500 naming the object, before any byte.
            try overwrite(otherDigest) { $0[40] ^= 1 }
            let (status, body, _) = try await send(.get, "/api/v1/models/other/versions/1/artefacts/model.bin", [])
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == .internalServerError && text.contains("ARTEFACT_UNREADABLE") && text.contains(otherDigest.description), "\(text)")
            #expect(!text.contains(h.folder.path), "no server path in the error")
        }
    }

    @Test func rotationKeepsOldBlobsReadableAndWrongKeyringsAreRefused() async throws {
        let h = Harness(folder: try TemporaryDirectory())
        defer { h.folder.remove() }
        var keyring = try Keyring.create(at: h.keys)
        let first = keyring.currentID
        let before = try FileIO.readAll(h.keys + "/" + Keyring.fileName)
        let one = artefact(100_000, seed: 6)
        let two = artefact(100_000, seed: 7)
        let server = try await h.open(keyring: h.keys)
        try await withClient(server, h.admin) { send in _ = try await publish(one, model: "m", send) }
        let second = try keyring.rotate()
        let rotated = try await h.open(keyring: h.keys)
        try await withClient(rotated, h.admin) { send in
            _ = try await publish(two, model: "n", send)
            #expect(try await send(.get, "/api/v1/models/m/versions/1/artefacts/model.bin", []).1 == one)
            #expect(try await send(.get, "/api/v1/models/n/versions/1/artefacts/model.bin", []).1 == two)
        }
        #expect(try EncryptedFile.header(of: server.blobs.path(for: Digest.sha256(one))).keyID == first)
        #expect(try EncryptedFile.header(of: server.blobs.path(for: Digest.sha256(two))).keyID == second)

        // The keyring as it was before the rotation lacks the second key: a 500 that names the key.
        let secret = try #require(try JSONParser().parse(FileIO.readAll(h.keys + "/" + Keyring.fileName))["keys"]?.arrayValue?.last?["key"]?.stringValue)
        try FileIO.writeAtomically(before, to: h.keys + "/" + Keyring.fileName, mode: 0o600)
        let old = try await h.open(keyring: h.keys)
        try await withClient(old, h.admin) { send in
            #expect(try await send(.get, "/api/v1/models/m/versions/1/artefacts/model.bin", []).1 == one)
            let (status, body, _) = try await send(.get, "/api/v1/models/n/versions/1/artefacts/model.bin", [])
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == .internalServerError && text.contains(second) && !text.contains(secret) && !text.contains(h.keys), "\(text)")
        }

        // At start: no keyring, another keyring, a keyring on a plain store are refused.
        for (keyring, expected) in [(nil, "start the server with its keyring"), (h.folder.url("other"), "does not have it")] as [(String?, String)] {
            if let keyring { _ = try Keyring.create(at: keyring) }
            let error = await #expect(throws: WardenError.self) { _ = try await h.open(keyring: keyring) }
            #expect(error?.message.contains(expected) == true && error?.message.contains(first) == true, "\(String(describing: error))")
        }
        let plain = Harness(folder: try TemporaryDirectory())
        defer { plain.folder.remove() }
        try await withClient(try await plain.open(keyring: nil), plain.admin) { send in _ = try await publish(one, model: "m", send) }
        let error = await #expect(throws: WardenError.self) { _ = try await plain.open(keyring: h.keys) }
        #expect(error?.message.contains("unencrypted") == true)
    }
}
