import Hummingbird
import Synchronization
import WardenCore
import WardenCrypto
import WardenGuard
import WardenModels
import WardenRegistry
import WardenScan

/// Finds the model a `/v2/models/{name}[/versions/{v}]` request means and checks that the caller may
/// use it: a `--model` file by its name, else a registry model at the configured alias (or at
/// `name@alias`, or at an explicit version). Registry versions load only when their signature
/// verified and their scan is clean (unless configured otherwise), from the artefact store (decrypted
/// when encrypted at rest) with their digest checked; a moved alias is followed on the next request. Loaded models are cached by
/// name and version.
final class ModelRepository: Sendable {
    let registry: Registry
    let artefacts: ArtefactStore
    let configuration: InferenceConfiguration
    /// Keys a `--model` file's signature (`--model-signature`) must verify with.
    let trustedKeys: [PublicKey]
    private let cache = Mutex<[String: ServedModel]>([:])
    /// Registry versions kept compiled at once (the least recently added go first).
    static let cacheCapacity = 16

    /// The proxied models (`--upstream`) by served name.
    let upstreams: [String: UpstreamClient]

    init(registry: Registry, artefacts: ArtefactStore, configuration: InferenceConfiguration, trustedKeys: [PublicKey] = []) {
        self.registry = registry
        self.artefacts = artefacts
        self.configuration = configuration
        self.trustedKeys = trustedKeys
        upstreams = Dictionary(uniqueKeysWithValues: configuration.upstreams.map { ($0.key, UpstreamClient(name: $0.key, upstream: $0.value)) })
    }

    /// A proxied model as its upstream describes it: its metadata is read on first use and again
    /// with `refresh` (the readiness checks), so a changed upstream schema is picked up there.
    /// - Throws: 404 for a name that is not an upstream; 502/504 when the metadata cannot be read.
    func upstream(_ name: String, refresh: Bool = false) async throws -> ServedModel {
        let key = "upstream:" + name
        if !refresh, let cached = cache.withLock({ $0[key] }) { return cached }
        guard let client = upstreams[name] else { throw WardenError.notFound("No model named '\(Self.clean(name))'") }
        let model = try await client.load()
        cache.withLock { $0[key] = model }
        return model
    }

    /// Whether every `--model` file is loaded and every upstream answers its metadata and says its
    /// model is ready (`/v2/health/ready`).
    func ready() async -> Bool {
        guard filesReady else { return false }
        for name in upstreams.keys.sorted() where !(await upstreamReady(name)) { return false }
        return true
    }

    /// Re-reads the upstream's metadata and asks it whether the model is ready.
    func upstreamReady(_ name: String) async -> Bool {
        guard (try? await upstream(name, refresh: true)) != nil, let client = upstreams[name] else { return false }
        return await client.isReady()
    }

    /// Loads every `--model` file, so that a bad file stops the server at start.
    /// - Throws: as ``ServedModel/load(name:version:path:)``, naming the model.
    func loadFiles() throws {
        for name in configuration.models.keys.sorted() { _ = try file(name) }
    }

    /// Whether every `--model` file is loaded (server readiness).
    var filesReady: Bool { configuration.models.keys.allSatisfy { name in (try? file(name)) != nil } }

    func file(_ name: String) throws -> ServedModel {
        if let cached = cache.withLock({ $0["file:" + name] }) { return cached }
        guard let path = configuration.models[name] else { throw WardenError.notFound("No model named '\(name)'") }
        let model: ServedModel
        do {
            try check(name: name, path: path)
            model = try ServedModel.load(name: name, version: "1", path: path)
        } catch let error as WardenError {
            throw WardenError(code: error.code, message: "Model '\(name)' (\(path)): \(error.message)", cause: error)
        }
        cache.withLock { $0["file:" + name] = model }
        return model
    }

    /// The checks a `--model` file passes before it is compiled, like a registry version: its
    /// WardenScan scan finds nothing at or above `scanBelow` (unless `requireVerified` is off), and
    /// its signature, when one is given, verifies with a trusted key.
    /// - Throws: `WardenError` `.invalidInput` saying what was found or why the signature fails.
    func check(name: String, path: String) throws {
        if configuration.requireVerified, let threshold = Severity(rawValue: configuration.scanBelow) {
            let report = try WardenScan.Scanner().scanFile(at: path)
            let blocking = report.findings.filter { $0.severity >= threshold }
            if let worst = blocking.max(by: { $0.severity < $1.severity }) {
                throw WardenError.invalidInput(
                    "not served: its scan found \(blocking.count) finding(s) at or above \(threshold) (\(worst.severity) \(worst.rule): \(InputValidator.clean(String(worst.message.prefix(160))))); --allow-unverified serves it anyway")
            }
        }
        guard let signature = configuration.signatures[name] else { return }
        guard !trustedKeys.isEmpty else { throw WardenError.invalidInput("not served: it has a signature (\(signature)) but the server trusts no key (--trusted-key)") }
        let bundle = try SigstoreBundle(parsing: try FileIO.readAll(signature, limit: 64 << 20), source: signature)
        var reasons: [String] = []
        for key in trustedKeys {
            let report = try ModelVerifier(key: key).verify(modelAt: path, bundle: bundle, source: signature)
            if report.verified { return }
            reasons.append(report.failures.map(\.summary).joined(separator: "; "))
        }
        throw WardenError.invalidInput("not served: its signature \(signature) does not verify with a trusted key: \(reasons.joined(separator: " | "))")
    }

    /// The model `name` (`name@alias` picks an alias) at `version` (nil: the file, or the alias's
    /// version), for `principal` (nil: anonymous).
    /// - Throws: 401 without a token where one is needed, 403 when the caller may not infer with the
    ///   model (audited), 404 for an unknown model, alias or version, 409 for a version that the
    ///   loading policy refuses.
    func resolve(_ name: String, version: String?, principal: Principal?) async throws -> ServedModel {
        let parts = name.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let base = parts[0]
        if parts.count == 1, upstreams[base] != nil {
            try await authorize(principal, model: RegisteredModel(name: base, createdAt: 0), subject: base, isFile: true)
            let model = try await upstream(base)
            if let version, version != model.version { throw WardenError.notFound("Model '\(base)' has no version '\(Self.clean(version))' (it has \(model.version))") }
            return model
        }
        if parts.count == 1, configuration.models[base] != nil {
            try await authorize(principal, model: RegisteredModel(name: base, createdAt: 0), subject: base, isFile: true)
            let model = try file(base)
            if let version, version != model.version { throw WardenError.notFound("Model '\(base)' has no version '\(Self.clean(version))' (it has 1)") }
            return model
        }
        // Anonymous callers learn nothing about registry models, not even which exist.
        guard principal != nil else { throw Self.tokenRequired }
        guard let registered = try await registry.store.model(named: base) else {
            throw WardenError.notFound("No model named '\(Self.clean(base))' is served here")
        }
        try await authorize(principal, model: registered, subject: name, isFile: false)
        let number: Int
        if let version {
            guard let parsed = Int(version), parsed > 0 else { throw WardenError.notFound("Model '\(base)' has no version '\(Self.clean(version))'") }
            number = parsed
        } else {
            let alias = parts.count > 1 ? parts[1] : configuration.alias
            guard let target = try await registry.store.aliases(of: base)[alias] else {
                throw WardenError.notFound("Model '\(base)' has no alias '\(Self.clean(alias))' to serve")
            }
            number = target
        }
        guard let stored = try await registry.store.version(base, number) else { throw WardenError.notFound("Model '\(base)' has no version \(number)") }
        return try load(stored)
    }

    /// The caller may infer with the model: a token with `model.infer` on it, or anonymous access to
    /// `--model` files when configured. Denials are audited.
    func authorize(_ principal: Principal?, model: RegisteredModel, subject: String, isFile: Bool) async throws {
        guard let principal else {
            if configuration.anonymous, isFile { return }
            throw Self.tokenRequired
        }
        try await registry.authorize(principal, .infer, model: model, subject: "infer/" + subject)
    }

    /// Compiles a registry version's ONNX artefact when the loading policy accepts the version.
    func load(_ version: ModelVersion) throws -> ServedModel {
        let key = "\(version.model)/\(version.version)"
        if let cached = cache.withLock({ $0[key] }) { return cached }
        if configuration.requireVerified {
            guard version.signature?.passed == true else {
                throw InferenceError(.conflict, "\(key) is not served: its signature did not verify on upload", reason: "unverified")
            }
            guard let scan = version.scan, !scan.reaches(configuration.scanBelow) else {
                let detail = version.scan.map { "its scan found \($0.findings) finding(s) up to \($0.highestSeverity ?? "?")" } ?? "it was not scanned"
                throw InferenceError(.conflict, "\(key) is not served: \(detail)", reason: "unverified")
            }
        }
        let onnx = version.artefacts.filter { $0.path.hasSuffix(".onnx") }
        guard onnx.count == 1, let artefact = onnx.first else {
            throw InferenceError(.conflict, "\(key) is not served: it holds \(onnx.count) ONNX artefacts (one is needed)", reason: "unservable")
        }
        // Decrypted when the blobs are encrypted at rest; the digest is checked either way.
        let bytes: [UInt8]
        do {
            bytes = try artefacts.read(artefact.digest, limit: ONNXModel.maximumFileSize)
        } catch let error as APIError where artefacts.keyring != nil {
            // A key missing from the keyring, or a blob that fails authentication.
            throw InferenceError(error.status, error.message, reason: "unreadable")
        } catch {
            // Plain blobs fail only by being missing or changed: say what that means.
            throw InferenceError(.conflict, "\(key) is not served: its stored artefact is missing or does not match its digest", reason: "tampered")
        }
        let model = try ServedModel.load(name: version.model, version: String(version.version), bytes: bytes, digest: artefact.digest)
        cache.withLock { cache in
            let registryKeys = cache.keys.filter { !$0.hasPrefix("file:") && !$0.hasPrefix("upstream:") }
            if registryKeys.count >= Self.cacheCapacity, let evicted = registryKeys.first { cache[evicted] = nil }
            cache[key] = model
        }
        return model
    }

    static func clean(_ text: String) -> String { InputValidator.clean(text) }

    static let tokenRequired = InferenceError(.unauthorized, "a bearer token is required (Authorization: Bearer wdn_…)", reason: "unauthenticated")
}
