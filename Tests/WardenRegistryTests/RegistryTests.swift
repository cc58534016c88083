import Foundation
import Testing
import WardenCore
import WardenRegistry

struct RegistryTests {
    static let alice = Principal(id: "alice", name: "alice", roles: [.maintainer])
    static let bob = Principal(id: "bob", name: "bob", roles: [.reviewer])
    static let eve = Principal(id: "eve", name: "eve", roles: [.reader])

    func registry() -> Registry {
        Registry(store: InMemoryRegistryStore(), clock: .fixed(Date(timeIntervalSince1970: 1_790_000_000)))
    }

    func version(signed: Bool = true, scan: String? = nil, provenance: Bool = true) -> ModelVersion {
        ModelVersion(
            model: "fraud", version: 0, artefacts: [.init(path: "model.onnx", digest: Digest.sha256("weights"), size: 7)],
            uploader: "", createdAt: 0,
            signature: .init(passed: signed, keyID: "k1", detail: signed ? "verified" : "no signature"),
            provenance: .init(passed: provenance, detail: provenance ? "verified" : "missing"),
            scan: .init(highestSeverity: scan, findings: scan == nil ? 0 : 1))
    }

    @Test func productionNeedsEveryGate() async throws {
        let registry = registry()
        _ = try await registry.createModel("fraud", by: Self.alice)
        let v1 = try await registry.addVersion(version(signed: false, scan: "critical", provenance: false), by: Self.alice)
        #expect(v1.version == 1 && v1.uploader == "alice")
        do {
            _ = try await registry.moveAlias("production", of: "fraud", to: 1, by: Self.alice)
            Issue.record("a gated move succeeded")
        } catch let refusal as Registry.Refusal {
            guard case .gatesFailed(_, let failures) = refusal else { throw refusal }
            #expect(failures.map(\.gate) == ["signature", "scan", "provenance", "approval"])
        }
        // Unprotected aliases move freely.
        _ = try await registry.moveAlias("staging", of: "fraud", to: 1, by: Self.alice)

        let v2 = try await registry.addVersion(version(), by: Self.alice)
        await #expect(throws: Registry.Refusal.self) { try await registry.approve("fraud", version: v2.version, by: Self.eve) }
        _ = try await registry.approve("fraud", version: v2.version, by: Self.bob)
        let move = try await registry.moveAlias("production", of: "fraud", to: v2.version, by: Self.alice)
        #expect(move.from == nil && move.to == 2)
        #expect(try await registry.resolve("production", of: "fraud", by: Self.eve).version == 2)
    }

    @Test func uploadersCannotApproveTheirOwnVersions() async throws {
        let registry = registry()
        let both = Principal(id: "carol", name: "carol", roles: [.maintainer, .reviewer])
        _ = try await registry.createModel("fraud", by: both)
        let v = try await registry.addVersion(version(), by: both)
        await #expect(throws: Registry.Refusal.self) { try await registry.approve("fraud", version: v.version, by: both) }
    }

    @Test func rollbackReturnsToThePreviousVersion() async throws {
        let registry = registry()
        _ = try await registry.createModel("fraud", by: Self.alice)
        for _ in 0..<2 {
            let v = try await registry.addVersion(version(), by: Self.alice)
            _ = try await registry.approve("fraud", version: v.version, by: Self.bob)
            _ = try await registry.moveAlias("production", of: "fraud", to: v.version, by: Self.alice)
        }
        let back = try await registry.rollback("production", of: "fraud", by: Self.alice)
        #expect(back.from == 2 && back.to == 1)
        #expect(try await registry.store.aliasHistory(of: "fraud", alias: "production").count == 3)
    }

    @Test func everyWriteAndDenialIsInTheAuditChain() async throws {
        let registry = registry()
        _ = try await registry.createModel("fraud", by: Self.alice)
        await #expect(throws: Registry.Refusal.self) { try await registry.createModel("x", by: Self.eve) }
        _ = try await registry.addVersion(version(), by: Self.alice)
        let events = try await registry.store.auditEvents(from: 1, limit: 100)
        #expect(events.map(\.action) == ["model.create", "auth.denied", "version.create"])
        #expect(events[1].actor == "eve")
        #expect(AuditChain().verify(events) == nil)
    }

    @Test func tokensAuthenticateTheirPrincipal() async throws {
        let store = InMemoryRegistryStore()
        let registry = Registry(store: store)
        let audit = AuditDraft(time: "t", actor: "system", action: "principal.create", subject: "alice")
        try await store.savePrincipal(Self.alice, audit: audit)
        let (record, plaintext) = APIToken.issue(for: "alice", name: "laptop", now: 0)
        try await store.saveToken(record, audit: audit)
        #expect(try await registry.authenticate(token: plaintext)?.id == "alice")
        #expect(try await registry.authenticate(token: plaintext + "x") == nil)
        #expect(try await registry.authenticate(token: "wdn_000000000000_" + String(repeating: "A", count: 43)) == nil)
    }

    /// The credential cache is asked before the token is parsed: only the exact text that verified
    /// is found there, so another spelling of the same secret (the last base64 character's unused
    /// bits), a longer text or a malformed one still goes through the parse and the store.
    @Test func cachedTokensMatchOnlyTheirExactText() async throws {
        let store = InMemoryRegistryStore()
        let registry = Registry(store: store, tokenCache: VerifiedTokenCache(lifetimeMillis: 60_000, capacity: 10))
        let audit = AuditDraft(time: "t", actor: "system", action: "principal.create", subject: "alice")
        try await store.savePrincipal(Self.alice, audit: audit)
        let (record, plaintext) = APIToken.issue(for: "alice", name: "laptop", now: 0)
        try await store.saveToken(record, audit: audit)
        #expect(try await registry.authenticate(token: plaintext)?.id == "alice")
        #expect(registry.tokenCache?.count == 1)
        #expect(try await registry.authenticate(token: plaintext)?.id == "alice")
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = alphabet.firstIndex(of: plaintext.last!)!
        let respelled = String(plaintext.dropLast()) + String(alphabet[last ^ 1])
        // The secret is everything after "wdn_<id>_": base64url has '_' in its alphabet, so the
        // secret itself may hold one (splitting on the last '_' made this check fail at random).
        func secret(_ token: String) -> String { String(token.dropFirst(APIToken.prefix.count).split(separator: "_", maxSplits: 1)[1]) }
        #expect(Base64URL.decode(secret(respelled)) == Base64URL.decode(secret(plaintext)))
        for other in [respelled, plaintext + "x", String(plaintext.dropLast()), "Bearer " + plaintext, String(repeating: "w", count: 500)] {
            #expect(try await registry.authenticate(token: other) == nil)
        }
        #expect(registry.tokenCache?.count == 1)
    }

    /// The MLflow create passes the model it has just read: the upload right is still checked
    /// (and a denial audited), and a draft of another model is refused.
    @Test func addingAVersionToAKnownModelStillChecksTheRight() async throws {
        let registry = registry()
        let model = try await registry.createModel("fraud", by: Self.alice)
        let stored = try await registry.addVersion(version(), to: model, by: Self.alice)
        #expect(stored.version == 1 && stored.uploader == "alice")
        await #expect(throws: Registry.Refusal.self) { try await registry.addVersion(version(), to: model, by: Self.eve) }
        let other = RegisteredModel(name: "other", createdAt: 0)
        await #expect(throws: WardenError.self) { try await registry.addVersion(version(), to: other, by: Self.alice) }
        let events = try await registry.store.auditEvents(from: 1, limit: 100)
        #expect(events.map(\.action) == ["model.create", "version.create", "auth.denied"])
        #expect(try await registry.store.versions(of: "fraud").count == 1)
    }

    @Test(arguments: ["", "../etc", "a b", "x/", String(repeating: "a", count: 201), "ümlaut"])
    func invalidNamesAreRefused(_ name: String) async throws {
        await #expect(throws: WardenError.self) { try await registry().createModel(name, by: Self.alice) }
    }
}
