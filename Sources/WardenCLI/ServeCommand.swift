import ArgumentParser
import Foundation
import Logging
import WardenCore
import WardenCrypto
import WardenRegistry
import WardenGuard
import WardenServer

/// `warden serve`: the registry server and the inference gateway (Open Inference Protocol, `/v2`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the model registry server (/api/v1, SQLite + blobs under --data) and the inference gateway (KServe v2 /v2, /metrics).",
        discussion: """
            On an empty data folder, the first admin is seeded from WARDEN_ADMIN_TOKEN (or \
            --admin-token-file); `warden serve --new-token` prints a fresh token to use. Versions \
            must be signed and attested by a --trusted-key to pass the production gates.

            The gateway serves --model files and registry models (by name: the 'production' alias; \
            name@alias; /versions/N) over the Open Inference Protocol: POST /v2/models/NAME/infer. \
            Registry versions load only when their signature verified and their scan is clean. \
            Inference needs a token with the inference-client role (or a grant on the model); \
            when no admin token (and no --config) is given, --model files are open to callers without a token \
            (--require-token closes them). Limits answer 413/429 (with Retry-After); bad tensors 400. \
            --upstream proxies a model of another KServe-v2 server (Triton, KServe, MLServer, another \
            warden): the gateway reads its metadata, validates, screens, audits and hardens as for its own \
            models, and answers 502/504 when the upstream fails, is slow or answers garbage.

            Example:
              export WARDEN_ADMIN_TOKEN=$(warden serve --new-token)
              warden serve --data ./warden-data --port 8080 --trusted-key keys/public.pem
              warden serve --model digits=digits.onnx --idle-timeout 30
              warden serve --config warden.yaml
              warden serve --data /shared/blobs --database postgres://warden@db:5432/warden
              warden keys init --keyring ./keyring && warden serve --data ./secure-data --keyring ./keyring
              warden serve --upstream fraud=http://127.0.0.1:9000/v2/models/fraud --reference fraud=train.csv --alerts alerts.jsonl
              warden serve --model digits=digits.onnx --rate-limit 50 --burst 100 --daily-budget 100000 --alerts alerts.jsonl --extraction-action block
              curl -s localhost:8080/v2/models/digits/infer -d '{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[…]}]}'
            """
    )

    @Option(help: "Policy and settings file (warden.yaml, docs/configuration.md); flags override it.") var config: String?
    @Option(help: "Folder for the database and blobs (default: warden-data).") var data: String?
    @Option(help: "PostgreSQL URL (postgres://user:password@host:port/db) for metadata and the audit chain; replicas share it.")
    var database: String?
    @Option(help: "Address to listen on (default: 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (0: any free port; default: 8080).") var port: Int?
    @Option(name: .customLong("trusted-key"), help: "Public key whose signatures and attestations the gates accept (repeatable).")
    var trustedKeys: [String] = []
    @Option(help: "File holding the admin token (instead of WARDEN_ADMIN_TOKEN).") var adminTokenFile: String?
    @Option(help: "Keyring folder (warden keys init): encrypt artefacts at rest with it.") var keyring: String?
    @Option(help: "Seconds before an idle connection is closed (default: 60).") var idleTimeout: Double?
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate.") var tlsKey: String?
    @Flag(help: "Print a new random token (wdn_…) and exit.") var newToken = false
    @Option(name: .customLong("model"), help: "Serve an ONNX file over /v2 as NAME (NAME=PATH.onnx; repeatable).") var models: [String] = []
    @Option(name: .customLong("upstream"), help: "Proxy NAME to a KServe-v2 model server, every protection applied: NAME=http://HOST:PORT[/v2/models/REMOTE] (repeatable).")
    var upstreams: [String] = []
    @Option(help: "Seconds for one upstream call before 504 (default: 10).") var upstreamTimeout: Double?
    @Flag(help: "Run feature squeezing on --upstream models too (one more upstream call per screened request).") var upstreamSqueeze = false
    @Option(help: "Requests per second per client (token bucket; default: unlimited).") var rateLimit: Int?
    @Option(help: "Requests a client may send at once (bucket size; default: 20).") var burst: Int?
    @Option(help: "Rows (queries) per client and UTC day (default: unlimited).") var dailyBudget: Int?
    @Option(help: "Most rows in one inference request (default: 1024).") var maxBatch: Int?
    @Flag(help: "Require a token for --model files even without an admin token.") var requireToken = false
    @Flag(help: "Serve registry versions whose signature or scan did not pass (not for production).") var allowUnverified = false
    @Option(help: "Append one JSON object per alert (extraction, rate_limit, …) to this file.") var alerts: String?
    @Option(help: "What to do with a client flagged for model extraction: alert, throttle, block or revoke (default: alert).")
    var extractionAction: String?
    @Flag(help: "Turn model-extraction detection off.") var noExtractionDetection = false
    @Option(help: "Adversarial/OOD detection and what to do with a flagged query: log, review or reject (default: off).")
    var adversarialPolicy: String?
    @Option(name: .customLong("reference"), help: "Reference (training) data of a model for the OOD thresholds: NAME=DATA.csv (repeatable).")
    var references: [String] = []
    @Option(help: "The label column of --reference files (default: label).") var referenceLabel: String = "label"
    @Option(help: "Inference requests served at once; 503 beyond (default: 64).") var maxConcurrent: Int?
    @Option(help: "Append each alert as a CEF line (for a SIEM) to this file.") var alertCef: String?
    @Option(help: "POST each alert as JSON to this http(s) URL (bounded queue, 5 s timeout, 3 retries).") var alertWebhook: String?
    @Option(name: .customLong("playbook"), help: "Automatic response: TYPE=ACTION[+ACTION], TYPE extraction, adversarial, drift, rate_limit or overload, ACTION block, revoke, rollback or fallback (repeatable).")
    var playbooks: [String] = []
    @Option(name: .customLong("fallback"), help: "The model the 'fallback' action serves in place of another: NAME=OTHER (repeatable).")
    var fallbacks: [String] = []
    @Option(help: "How long the 'block' action blocks a client, in seconds (0: until `warden incident unblock`; default: 3600).")
    var blockSeconds: Double?
    @Option(name: .customLong("model-signature"), help: "OMS signature of a --model file, verified with the --trusted-key keys before loading: NAME=SIG.json (repeatable).")
    var modelSignatures: [String] = []
    @Option(name: .customLong("split"), help: "A/B traffic split of a served name: NAME=TARGET:WEIGHT,TARGET:WEIGHT (TARGET a registry version number or another served model; repeatable).")
    var splits: [String] = []
    @Flag(help: "Watch drift of inputs and predictions against each --reference over a sliding window (drift alerts, /metrics).")
    var drift = false
    @Option(help: "Rows in the drift window (default: 500; implies --drift).") var driftWindow: Int?
    @Option(name: .customLong("harden"), help: "Output hardening of a model: NAME=SPEC, SPEC top-k=K, round=D, label, noise=SIGMA, comma-joined (repeatable).")
    var hardening: [String] = []

    /// warden.yaml (when given) with the flags on top.
    func configuration() throws -> ServerConfiguration {
        var configuration = try config.map { try ServerConfiguration(file: $0) } ?? ServerConfiguration()
        if let data { configuration.data = data }
        if let database { configuration.database.url = database }
        if let host { configuration.http.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("The port '\(port)' is not in 0…65535") }
            configuration.http.port = port
        }
        if let idleTimeout {
            guard (0.1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be in 0.1…86400 seconds, got \(idleTimeout)") }
            configuration.http.idleTimeout = idleTimeout
        }
        configuration.trustedKeys += trustedKeys
        if let adminTokenFile { configuration.auth.adminTokenFile = adminTokenFile }
        if let keyring { configuration.encryption.keyring = keyring }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("Give both --tls-certificate and --tls-key") }
        if let tlsCertificate, let tlsKey {
            configuration.http.tlsCertificate = tlsCertificate
            configuration.http.tlsKey = tlsKey
        }
        try applyInferenceFlags(to: &configuration.inference)
        return configuration
    }

    func run() async throws {
        if newToken {
            Console.output(APIToken.issue(for: "admin", name: "new", now: 0).plaintext)
            return
        }
        var configuration = try configuration()
        var token = ProcessInfo.processInfo.environment["WARDEN_ADMIN_TOKEN"]
        if let file = configuration.auth.adminTokenFile {
            token = String(decoding: try FileIO.readAll(file, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var logger = Logger(label: "warden.serve")
        logger.logLevel = .info
        if token == nil, !requireToken, config == nil, !configuration.inference.models.isEmpty || !configuration.inference.upstreams.isEmpty {
            configuration.inference.anonymous = true
        }
        let server = try await RegistryServer.open(configuration: configuration, adminToken: token, logger: logger)
        var served = try server.checkInferenceModels()
        for (name, problem) in await server.checkUpstreams() {
            served.append(name)
            if let problem { Console.error("warning: upstream '\(name)' is not usable yet (\(problem)); it is read again on use and by /v2/health/ready") }
        }
        if !served.isEmpty {
            Console.error("serving \(served.joined(separator: ", ")) at /v2/models/NAME/infer\(configuration.inference.anonymous ? " (open to callers without a token: no admin token is configured)" : "")")
        }
        let host = configuration.http.host
        try await server.run(host: host, port: configuration.http.port, logger: logger) { bound in
            Console.error("warden registry listening on \(server.usesTLS ? "https" : "http")://\(host):\(bound) (data: \(server.dataDirectory))")
        }
    }
}

extension ServeCommand {
    /// `--model`, `--rate-limit`, `--burst`, `--daily-budget`, `--max-batch`, `--allow-unverified`, `--alerts`,
    /// `--extraction-action`, `--no-extraction-detection`, `--adversarial-policy`, `--reference`, `--harden`.
    func applyInferenceFlags(to inference: inout InferenceConfiguration) throws {
        for entry in models {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, Self.isServableName(parts[0]) else {
                throw ValidationError("--model takes NAME=PATH.onnx (NAME of letters, digits, . _ -), got '\(entry)'")
            }
            guard inference.models[parts[0]] == nil else { throw ValidationError("--model '\(parts[0])' is given twice") }
            inference.models[parts[0]] = parts[1]
        }
        func positive(_ value: Int?, _ flag: String) throws -> Int? {
            guard let value else { return nil }
            guard value > 0 else { throw ValidationError("--\(flag) must be positive, got \(value)") }
            return value
        }
        for entry in upstreams {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.isServableName(parts[0]) else {
                throw ValidationError("--upstream takes NAME=http://HOST:PORT[/v2/models/REMOTE] (NAME of letters, digits, . _ -), got '\(entry)'")
            }
            guard inference.upstreams[parts[0]] == nil else { throw ValidationError("--upstream '\(parts[0])' is given twice") }
            do {
                inference.upstreams[parts[0]] = try InferenceConfiguration.Upstream(name: parts[0], url: parts[1])
            } catch let error as WardenError {
                throw ValidationError(error.message)
            }
        }
        if let upstreamTimeout {
            guard (0.01...3600).contains(upstreamTimeout) else { throw ValidationError("--upstream-timeout must be in 0.01…3600 seconds, got \(upstreamTimeout)") }
            for name in inference.upstreams.keys { inference.upstreams[name]?.timeout = upstreamTimeout }
        }
        if upstreamSqueeze { for name in inference.upstreams.keys { inference.upstreams[name]?.squeeze = true } }
        if let rate = try positive(rateLimit, "rate-limit") { inference.rate.ratePerSecond = Double(rate) }
        if let burst = try positive(burst, "burst") { inference.rate.burst = burst }
        if let budget = try positive(dailyBudget, "daily-budget") { inference.rate.dailyBudget = budget }
        if let batch = try positive(maxBatch, "max-batch") { inference.limits.maxBatch = batch }
        if let concurrent = try positive(maxConcurrent, "max-concurrent") { inference.maxConcurrent = concurrent }
        if allowUnverified { inference.requireVerified = false }
        if let alerts { inference.alertsFile = alerts }
        if noExtractionDetection {
            inference.extraction = nil
        } else if let extractionAction {
            guard let action = ExtractionDetector.Action(rawValue: extractionAction) else {
                throw ValidationError("--extraction-action takes alert, throttle, block or revoke, got '\(extractionAction)'")
            }
            var policy = inference.extraction ?? ExtractionDetector.Policy()
            policy.action = action
            inference.extraction = policy
        }
        if let adversarialPolicy {
            guard let action = AdversarialDetector.Action(rawValue: adversarialPolicy) else {
                throw ValidationError("--adversarial-policy takes log, review or reject, got '\(adversarialPolicy)'")
            }
            var policy = inference.adversarial ?? AdversarialDetector.Policy()
            policy.action = action
            inference.adversarial = policy
        }
        for entry in references {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--reference takes NAME=DATA.csv, got '\(entry)'") }
            inference.references[parts[0]] = .init(data: parts[1], label: referenceLabel)
        }
        if !references.isEmpty, inference.adversarial == nil { inference.adversarial = AdversarialDetector.Policy() }
        try applyResponseFlags(to: &inference)
        for entry in hardening {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--harden takes NAME=SPEC (such as digits=top-k=3,round=2), got '\(entry)'") }
            do {
                inference.hardening[parts[0]] = try OutputHardening(spec: parts[1])
            } catch let error as WardenError {
                throw ValidationError("--harden \(parts[0]): \(error.message)")
            }
        }
    }

    /// Names `--model` accepts: what a URL path segment carries without escaping.
    static func isServableName(_ name: String) -> Bool {
        name.utf8.count <= 200 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

extension ServeCommand {
    /// `--alert-cef`, `--alert-webhook`, `--playbook`, `--fallback`, `--block-seconds`, `--model-signature`, `--split`.
    func applyResponseFlags(to inference: inout InferenceConfiguration) throws {
        if let alertCef { inference.cefFile = alertCef }
        if drift || driftWindow != nil {
            var policy = inference.drift ?? DriftWindow.Policy()
            if let driftWindow {
                guard (10...100_000).contains(driftWindow) else { throw ValidationError("--drift-window must be in 10…100000, got \(driftWindow)") }
                policy.window = driftWindow
                policy.every = min(policy.every, driftWindow)
            }
            inference.drift = policy
        }
        if let alertWebhook {
            guard let url = URLComponents(string: alertWebhook), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), !(url.host ?? "").isEmpty else {
                throw ValidationError("--alert-webhook takes an http(s) URL, got '\(alertWebhook)'")
            }
            var webhook = inference.webhook ?? .init(url: alertWebhook)
            webhook.url = alertWebhook
            inference.webhook = webhook
        }
        for text in playbooks {
            do {
                inference.playbook.rules.append(try Playbook.rule(text))
            } catch {
                throw ValidationError("--playbook: \(error.message)")
            }
        }
        for (flag, entries) in [("fallback", fallbacks), ("model-signature", modelSignatures)] {
            for entry in entries {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] != parts[1] else {
                    throw ValidationError("--\(flag) takes NAME=\(flag == "fallback" ? "OTHER" : "SIG.json"), got '\(entry)'")
                }
                if flag == "fallback" { inference.playbook.fallbacks[parts[0]] = parts[1] } else { inference.signatures[parts[0]] = parts[1] }
            }
        }
        if let blockSeconds {
            guard blockSeconds >= 0, blockSeconds <= 86_400 * 365 else { throw ValidationError("--block-seconds must be in 0…31536000, got \(blockSeconds)") }
            inference.playbook.blockSeconds = blockSeconds
        }
        for entry in splits {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            var targets: [TrafficSplit.Target] = []
            if parts.count == 2 {
                for item in parts[1].split(separator: ",") {
                    let pair = item.split(separator: ":", maxSplits: 1).map(String.init)
                    guard pair.count == 2, let weight = Int(pair[1]) else { targets = []; break }
                    targets.append(.init(name: pair[0], weight: weight))
                }
            }
            guard parts.count == 2, !parts[0].isEmpty, !targets.isEmpty else {
                throw ValidationError("--split takes NAME=TARGET:WEIGHT,TARGET:WEIGHT (such as fraud=3:90,4:10), got '\(entry)'")
            }
            do {
                _ = try TrafficSplit(targets)
            } catch {
                throw ValidationError("--split \(parts[0]): \(error.message)")
            }
            inference.splits[parts[0]] = targets
        }
    }
}
