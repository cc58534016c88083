import Testing
import WardenRegistry
import WardenTesting

struct AccessPolicyTests {
    static let model = RegisteredModel(name: "fraud", createdAt: 0)

    /// The whole role × action matrix for a model without attributes.
    @Test(arguments: Role.allCases)
    func roleMatrix(_ role: Role) {
        let principal = Principal(id: "p", name: "p", roles: [role])
        for action in RegistryAction.allCases {
            let allowed = AccessPolicy().decide(principal, action, model: action.isPerModel ? Self.model : nil).allowed
            #expect(allowed == role.actions.contains(action), "\(role) \(action)")
        }
    }

    @Test func nobodyIsAllowedByDefault() {
        let nobody = Principal(id: "n", name: "n")
        #expect(RegistryAction.allCases.allSatisfy { !AccessPolicy().decide(nobody, $0, model: Self.model).allowed })
    }

    @Test func grantsApplyOnlyToTheirModels() {
        let principal = Principal(id: "g", name: "g", grants: [.init(models: "team-a/*", role: .maintainer)])
        let mine = RegisteredModel(name: "team-a/churn", createdAt: 0)
        let other = RegisteredModel(name: "team-b/churn", createdAt: 0)
        #expect(AccessPolicy().decide(principal, .uploadVersion, model: mine).allowed)
        #expect(!AccessPolicy().decide(principal, .uploadVersion, model: other).allowed)
        #expect(!AccessPolicy().decide(principal, .createModel).allowed)
    }

    @Test func teamAndSensitivityAttributes() {
        let teamModel = RegisteredModel(name: "m", attributes: ["team": "risk"], createdAt: 0)
        let outsider = Principal(id: "o", name: "o", roles: [.reader], attributes: ["team": "growth"])
        let insider = Principal(id: "i", name: "i", roles: [.reader], attributes: ["team": "risk"])
        #expect(!AccessPolicy().decide(outsider, .readModel, model: teamModel).allowed)
        #expect(AccessPolicy().decide(insider, .readModel, model: teamModel).allowed)

        let secret = RegisteredModel(name: "s", attributes: ["sensitivity": "restricted"], createdAt: 0)
        #expect(!AccessPolicy().decide(insider, .readModel, model: secret).allowed)
        let cleared = Principal(id: "c", name: "c", roles: [.reader], attributes: ["clearance": "restricted"])
        #expect(AccessPolicy().decide(cleared, .readModel, model: secret).allowed)
        let admin = Principal(id: "a", name: "a", roles: [.admin])
        #expect(AccessPolicy().decide(admin, .readModel, model: secret).allowed)
    }
}

struct APITokenTests {
    @Test func issueParseAndAccept() throws {
        let (record, plaintext) = APIToken.issue(for: "alice", name: "ci", now: 1000, lifetime: 500)
        #expect(plaintext.hasPrefix("wdn_"))
        let (id, secret) = try #require(APIToken.parse(plaintext))
        #expect(id == record.id)
        #expect(record.accepts(secret: secret, now: 1200))
        #expect(!record.accepts(secret: secret, now: 1500))  // expired
        var revoked = record
        revoked.revoked = true
        #expect(!revoked.accepts(secret: secret, now: 1200))
        var flipped = secret
        flipped[0] ^= 1
        #expect(!record.accepts(secret: flipped, now: 1200))
        // The plaintext secret is nowhere in the stored record.
        // (The secret is what follows `wdn_<12 hex>_`; base64url secrets may themselves hold `_`.)
        #expect(!"\(record)".contains(String(plaintext.dropFirst(APIToken.prefix.count + 13))))
    }

    /// The comparison behind every token check (stored and cached): a difference in any byte, at
    /// any position, or in length is a mismatch. (It has no early exit, so its time does not say
    /// where inputs differ; timing is not measured in unit tests.)
    @Test func constantTimeComparisonFindsEveryDifference() {
        var generator = SeededGenerator(seed: 6)
        let a = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(ConstantTime.equal(a, a) && ConstantTime.equal([], []))
        for index in a.indices {
            for bit in 0..<8 {
                var b = a
                b[index] ^= 1 << bit
                #expect(!ConstantTime.equal(a, b), "byte \(index) bit \(bit)")
            }
        }
        #expect(!ConstantTime.equal(a, Array(a.dropLast())) && !ConstantTime.equal(a, a + [0]) && !ConstantTime.equal([], [0]))
    }

    /// A cached token is found by its public id; the secret is still compared, so a forged secret
    /// with a cached id is refused, and a revoked token is forgotten at once.
    @Test func theCacheStillChecksTheSecret() async throws {
        let store = InMemoryRegistryStore()
        let registry = Registry(store: store, tokenCache: VerifiedTokenCache(lifetimeMillis: 60_000, capacity: 10))
        let admin = Principal(id: "root", name: "root", roles: [.admin])
        let issued = try await registry.createToken(name: "alice", role: .reader, by: admin)
        #expect(try await registry.authenticate(token: issued.plaintext)?.id == "alice")
        #expect(registry.tokenCache?.count == 1)
        let forged = "wdn_\(issued.token.id)_" + Base64URL.encode([UInt8](repeating: 7, count: 32))
        #expect(try await registry.authenticate(token: forged) == nil)
        _ = try await registry.revokeToken(id: issued.token.id, by: admin)
        #expect(try await registry.authenticate(token: issued.plaintext) == nil)
    }

    @Test(arguments: ["", "wdn_", "wdn_abc_def", "xyz_0123456789ab_" + String(repeating: "A", count: 43), "wdn_0123456789ab_!!!", String(repeating: "w", count: 500)])
    func malformedTokensDoNotParse(_ text: String) {
        #expect(APIToken.parse(text) == nil)
    }
}
