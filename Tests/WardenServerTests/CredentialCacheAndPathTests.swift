import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenCore
import WardenRegistry
import WardenTesting

@testable import WardenServer

/// The verified-credential cache as a server uses it (basic auth and bearer tokens), and error
/// responses that never name the server's folders.
struct CredentialCacheAndPathTests {
    static let admin = Principal(id: "root", name: "root", roles: [.admin])

    func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    /// A wrong password is refused every time and never cached; a revoke takes effect on the very
    /// next request of the same server, for basic auth and bearer alike.
    @Test func wrongSecretsAreNeverCachedAndRevokesApplyAtOnce() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let cache = VerifiedTokenCache(lifetimeMillis: 60_000, capacity: 100)
        let registry = Registry(store: InMemoryRegistryStore(), tokenCache: cache)
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        let issued = try await registry.createToken(name: "rita", role: .reader, by: Self.admin)
        let token = issued.plaintext
        // A different secret (a middle character: the last one also carries unused bits), and the
        // same secret spelled non-canonically (those unused bits set), which is refused too.
        let middle = token.index(token.endIndex, offsetBy: -10)
        let wrong = String(token[..<middle]) + (token[middle] == "A" ? "B" : "A") + String(token[token.index(after: middle)...])
        let last = token.last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let noncanonical = String(token.dropLast()) + String(alphabet[alphabet.firstIndex(of: last)! | 1])
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            func status(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/2.0/mlflow/registered-models/search", method: .get, headers: headers) { $0.status }
            }
            for _ in 0..<3 {
                #expect(try await status(self.basic("rita", wrong)) == .unauthorized)
                #expect(try await status([.authorization: "Bearer \(wrong)"]) == .unauthorized)
            }
            #expect(try await status(self.basic("rita", noncanonical)) == .unauthorized)
            #expect(cache.count == 0)
            #expect(try await status(self.basic("rita", token)) == .ok)
            #expect(cache.count == 1)
            // Cached: the same credentials again, and a wrong user with the right token still fails.
            #expect(try await status(self.basic("rita", token)) == .ok)
            #expect(try await status([.authorization: "Bearer \(token)"]) == .ok)
            #expect(try await status(self.basic("mia", token)) == .unauthorized)
            #expect(try await status(self.basic("rita", wrong)) == .unauthorized)
            _ = try await registry.revokeToken(id: issued.token.id, by: Self.admin)
            #expect(cache.count == 0)
            #expect(try await status(self.basic("rita", token)) == .unauthorized)
            #expect(try await status([.authorization: "Bearer \(token)"]) == .unauthorized)
        }
    }

    /// Least recently used entries go first; entries end at the lifetime or the token's expiry.
    @Test func theCacheIsBoundedAndEntriesExpire() {
        let cache = VerifiedTokenCache(lifetimeMillis: 1000, capacity: 2)
        let (a, b, c) = (Principal(id: "a", name: "a"), Principal(id: "b", name: "b"), Principal(id: "c", name: "c"))
        cache.remember(credential: "wdn_a", tokenID: "a", principal: a, now: 0, tokenExpiresAt: nil)
        cache.remember(credential: "wdn_b", tokenID: "b", principal: b, now: 0, tokenExpiresAt: nil)
        #expect(cache.principal(for: "wdn_a", now: 1)?.id == "a")  // a is now the most recent
        cache.remember(credential: "wdn_c", tokenID: "c", principal: c, now: 2, tokenExpiresAt: nil)
        #expect(cache.count == 2)
        #expect(cache.principal(for: "wdn_b", now: 3) == nil)
        #expect(cache.principal(for: "wdn_a", now: 3)?.id == "a" && cache.principal(for: "wdn_c", now: 3)?.id == "c")
        #expect(cache.principal(for: "wdn_a", now: 999)?.id == "a")
        #expect(cache.principal(for: "wdn_a", now: 1000) == nil)
        cache.remember(credential: "wdn_b", tokenID: "b", principal: b, now: 0, tokenExpiresAt: 500)
        #expect(cache.principal(for: "wdn_b", now: 499)?.id == "b")
        #expect(cache.principal(for: "wdn_b", now: 500) == nil)
        cache.remember(credential: "wdn_x", tokenID: "x", principal: a, now: 10, tokenExpiresAt: 5)  // already expired
        #expect(cache.principal(for: "wdn_x", now: 10) == nil)
        // A near-miss of a cached credential is not it.
        cache.remember(credential: "wdn_abc", tokenID: "t", principal: a, now: 0, tokenExpiresAt: nil)
        #expect(cache.principal(for: "wdn_abd", now: 1) == nil && cache.principal(for: "wdn_ab", now: 1) == nil)
        cache.forget(principalID: "a")
        #expect(cache.principal(for: "wdn_abc", now: 1) == nil)
        // Thousands of entries through a small cache stay within its bound.
        let small = VerifiedTokenCache(lifetimeMillis: 1000, capacity: 8)
        for index in 0..<5000 {
            small.remember(credential: "wdn_\(index)", tokenID: String(index), principal: a, now: 0, tokenExpiresAt: nil)
        }
        #expect(small.count == 8 && small.principal(for: "wdn_4999", now: 1) != nil && small.principal(for: "wdn_0", now: 1) == nil)
    }

    /// A missing or damaged blob is named by digest only, whoever reads it; and any error message
    /// that still carries one of the server's folders reaches the client with `<data>` instead.
    @Test func blobErrorsNameNoServerPath() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let blobs = BlobStore(root: folder.url("blobs"))
        let store = ArtefactStore(blobs: blobs, keyring: nil)
        let stored = try blobs.put(bytes: Array("weights".utf8))
        let file = blobs.path(for: stored.digest)
        chmod(file, 0o644)
        try FileIO.writeAtomically("tampered", to: file)
        for (digest, limit) in [(stored.digest, 1000), (Digest.sha256("absent"), 1000), (stored.digest, 2)] {
            do {
                _ = try store.read(digest, limit: limit)
                Issue.record("read of \(digest) should fail")
            } catch {
                let api = APIError.from(error)
                #expect(!api.message.contains(folder.path), "\(api.message)")
                #expect(api.message.contains(digest.description))
            }
        }
        let leaky = WardenError.invalidInput("'\(folder.path)/blobs/tmp/x' is not a regular file")
        let server = RegistryServer(
            registry: Registry(store: InMemoryRegistryStore()), blobs: blobs, trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        let redacted = APIError.from(leaky).redacting(server.privatePaths)
        #expect(redacted.message == "'<data>/tmp/x' is not a regular file")  // the blob folder, longest first
    }

    /// End to end: a version whose signature blob was damaged on disk is refused without the path.
    @Test func aDamagedSignatureBlobIsRefusedWithoutItsPath() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = Registry(store: InMemoryRegistryStore())
        let server = RegistryServer(
            registry: registry, blobs: BlobStore(root: folder.url("blobs")), trustedKeys: [], configuration: ServerConfiguration().with { $0.data = folder.path })
        let token = try await registry.createToken(name: "mia", role: .maintainer, by: Self.admin).plaintext
        _ = try await registry.createModel("fraud", by: Principal(id: "mia", name: "mia", roles: [.maintainer]))
        let weights = try server.blobs.put(bytes: Array("weights".utf8))
        let signature = try server.blobs.put(bytes: Array("{\"not\": \"a bundle\"}".utf8))
        let file = server.blobs.path(for: signature.digest)
        chmod(file, 0o644)
        try FileIO.writeAtomically("tampered", to: file)
        let body: JSONValue = [
            "artefacts": [["path": "w.bin", "digest": .string(weights.digest.description)]], "signature": .string(signature.digest.description),
        ]
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/v1/models/fraud/versions", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: body.compactString)
            ) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .internalServerError, "\(text)")
                #expect(text.contains("ARTEFACT_UNREADABLE") && !text.contains(folder.path), "\(text)")
            }
        }
    }
}
