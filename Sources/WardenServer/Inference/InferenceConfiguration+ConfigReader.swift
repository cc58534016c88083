import Foundation
import WardenCore
import WardenGuard
import WardenRegistry

extension InferenceConfiguration {
    /// Reads warden.yaml's `inference` section. Keys (type, default):
    ///
    /// - `models` (map name → ONNX path, empty)
    /// - `upstreams` (map name → URL `http://HOST:PORT[/v2/models/REMOTE[/versions/V]]`, or a map
    ///   `{url, timeout (10 s), max_response_bytes (16 MiB), squeeze (false)}`; none): models proxied
    ///   to a KServe-v2 server, every protection applied
    /// - `alias` (string, `production`): the alias a bare registry model name serves
    /// - `require_verified` (bool, true), `scan_below` (severity, `medium`)
    /// - `anonymous` (bool, false): callers without a token may use the `models` files
    /// - `max_body_bytes` (int, 8 MiB), `max_batch` (int, 1024), `max_elements` (int, 1 Mi),
    ///   `max_rank` (int, 8)
    /// - `rate_limit` (requests per second per principal, none), `burst` (int, 20),
    ///   `daily_budget` (rows per principal and UTC day, none)
    /// - `range_policy` (`reject`, `clip` or `ignore`; `reject`)
    /// - `audit_predictions` (bool, true)
    /// - `max_concurrent` (int, 64): inference requests at once, 503 beyond; `request_timeout`
    ///   (seconds, 30): time to receive a request body, 408 after
    /// - `alerts` (path of the JSONL alert file, none)
    /// - `cef` (path of a CEF alert file, or a map `{file, syslog_host}`; none)
    /// - `webhook` (URL, or a map `{url, timeout (5 s), retries (3), backoff (0.5 s), capacity (1000)}`; none)
    /// - `playbooks` (map): `rules` (list of `{on: [types], severity (low), actions: [block, revoke,
    ///   rollback, fallback]}`; none), `block_seconds` (3600, 0 = until unblocked), `fallbacks`
    ///   (map model → fallback model; none)
    /// - `splits` (map served name → map target → integer weight; a target is a registry version
    ///   number of the model or another served model name; none)
    /// - `drift` (map; off when absent): `window` (500 rows), `every` (100 rows), `psi` (0.2),
    ///   `alpha` (0.01); the reference data is `adversarial.references`
    /// - `model_signatures` (map `models` name → OMS signature bundle; none)
    /// - `extraction` (map, or `false` to turn it off): `action` (`alert`, `throttle`, `block`,
    ///   `revoke`; `alert`), `delta` (0.9), `min_samples` (100), `window` (1000), `max_stored` (1000),
    ///   `max_clients` (256), `low_margin` (0.1), `max_low_margin_share` (0.5), `max_volume` (rows,
    ///   none), `volume_seconds` (3600), `flag_seconds` (3600), `throttle_seconds` (10)
    /// - `hardening` (map model name → spec such as `top-k=3,round=2`, `label`, `noise=0.05`)
    /// - `adversarial` (map; off when absent): `action` (`log`, `review`, `reject`; `log`),
    ///   `quantile` (0.995), `squeeze_bits` (4, 0 = off), `median_window` (2, 0 = off),
    ///   `min_confidence` (0.5, 0 = off), `references` (map model name → `{data: CSV, label: COL}`)
    ///
    /// - Throws: `WardenError` (`invalidInput`) naming the file and key.
    mutating func read(_ section: ServerConfiguration.Section) throws {
        try section.only([
            "models", "upstreams", "alias", "require_verified", "scan_below", "anonymous", "max_body_bytes", "max_batch", "max_elements", "max_rank",
            "rate_limit", "burst", "daily_budget", "range_policy", "audit_predictions", "alerts", "extraction", "adversarial", "hardening", "max_concurrent", "request_timeout",
            "cef", "webhook", "playbooks", "model_signatures", "splits", "drift",
        ])
        if let models = try section.section("models") {
            for (name, _) in models.members {
                guard let path = try models.string(name) else { continue }
                self.models[name] = path
            }
        }
        if let upstreams = try section.section("upstreams") { try readUpstreams(upstreams) }
        alias = try section.string("alias") ?? alias
        requireVerified = try section.bool("require_verified") ?? requireVerified
        if let scan = try section.string("scan_below") {
            guard ModelVersion.ScanOutcome.order.contains(scan) else {
                throw WardenError.invalidInput("\(section.source): '\(section.key("scan_below"))' is '\(scan)'; use one of \(ModelVersion.ScanOutcome.order.joined(separator: ", "))")
            }
            scanBelow = scan
        }
        anonymous = try section.bool("anonymous") ?? anonymous
        maxBodyBytes = try section.int("max_body_bytes", in: 1024...(1 << 30)) ?? maxBodyBytes
        limits.maxBatch = try section.int("max_batch", in: 1...(1 << 24)) ?? limits.maxBatch
        limits.maxElements = try section.int("max_elements", in: 1...(1 << 28)) ?? limits.maxElements
        limits.maxRank = try section.int("max_rank", in: 1...32) ?? limits.maxRank
        if let rate = try section.int("rate_limit", in: 1...1_000_000) { self.rate.ratePerSecond = Double(rate) }
        rate.burst = try section.int("burst", in: 1...1_000_000) ?? rate.burst
        if let budget = try section.int("daily_budget", in: 1...Int(Int32.max)) { rate.dailyBudget = budget }
        if let policy = try section.string("range_policy") {
            guard let parsed = InputValidator.RangePolicy(rawValue: policy) else {
                throw WardenError.invalidInput("\(section.source): '\(section.key("range_policy"))' is '\(policy)'; use reject, clip or ignore")
            }
            rangePolicy = parsed
        }
        auditPredictions = try section.bool("audit_predictions") ?? auditPredictions
        alertsFile = try section.string("alerts") ?? alertsFile
        maxConcurrent = try section.int("max_concurrent", in: 1...100_000) ?? maxConcurrent
        requestTimeout = try section.double("request_timeout", in: 0.01...3600) ?? requestTimeout
        if let section = try section.section("adversarial") { try readAdversarial(section) }
        try readAlertSinks(section)
        if let drift = try section.section("drift") {
            try drift.only(["window", "every", "psi", "alpha"])
            var policy = self.drift ?? DriftWindow.Policy()
            policy.window = try drift.int("window", in: 10...100_000) ?? policy.window
            policy.every = try drift.int("every", in: 1...100_000) ?? policy.every
            policy.psi = try drift.double("psi", in: 0.001...100) ?? policy.psi
            policy.alpha = try drift.double("alpha", in: 1e-12...0.5) ?? policy.alpha
            self.drift = policy
        }
        if let section = try section.section("playbooks") { playbook = try Self.playbook(section) }
        if let splits = try section.section("splits") {
            for (name, _) in splits.members {
                guard let targets = try splits.section(name) else { continue }
                var list: [TrafficSplit.Target] = []
                for (target, _) in targets.members {
                    guard let weight = try targets.int(target, in: 1...1_000_000) else { continue }
                    list.append(.init(name: target, weight: weight))
                }
                do {
                    _ = try TrafficSplit(list)
                } catch {
                    throw WardenError.invalidInput("\(section.source): '\(splits.key(name))': \(error.message)")
                }
                self.splits[name] = list
            }
        }
        if let signatures = try section.section("model_signatures") {
            for (name, _) in signatures.members {
                guard let path = try signatures.string(name) else { continue }
                self.signatures[name] = path
            }
        }
        if let specs = try section.section("hardening") {
            for (name, _) in specs.members {
                guard let spec = try specs.string(name) else { continue }
                do {
                    hardening[name] = try OutputHardening(spec: spec)
                } catch let error as WardenError {
                    throw WardenError.invalidInput("\(section.source): '\(specs.key(name))': \(error.message)")
                }
            }
        }
        if section.value["extraction"] == .bool(false) {
            extraction = nil
        } else if let detector = try section.section("extraction") {
            extraction = try Self.extraction(detector, base: extraction ?? ExtractionDetector.Policy())
        }
    }

    mutating func readUpstreams(_ section: ServerConfiguration.Section) throws {
        for (name, value) in section.members {
            var upstream: Upstream
            do {
                if case .object = value {
                    guard let entry = try section.section(name) else { continue }
                    try entry.only(["url", "timeout", "max_response_bytes", "squeeze"])
                    guard let url = try entry.string("url") else { throw WardenError.invalidInput("needs a 'url'") }
                    upstream = try Upstream(name: name, url: url)
                    upstream.timeout = try entry.double("timeout", in: 0.01...3600) ?? upstream.timeout
                    upstream.maxResponseBytes = try entry.int("max_response_bytes", in: 1024...(1 << 30)) ?? upstream.maxResponseBytes
                    upstream.squeeze = try entry.bool("squeeze") ?? upstream.squeeze
                } else {
                    guard let url = try section.string(name) else { continue }
                    upstream = try Upstream(name: name, url: url)
                }
            } catch let error as WardenError {
                throw WardenError.invalidInput("\(section.source): '\(section.key(name))': \(error.message)")
            }
            upstreams[name] = upstream
        }
    }

    mutating func readAdversarial(_ section: ServerConfiguration.Section) throws {
        try section.only(["action", "quantile", "squeeze_bits", "median_window", "min_confidence", "references"])
        var policy = adversarial ?? AdversarialDetector.Policy()
        if let action = try section.string("action") {
            guard let parsed = AdversarialDetector.Action(rawValue: action) else {
                throw WardenError.invalidInput("\(section.source): '\(section.key("action"))' is '\(action)'; use log, review or reject")
            }
            policy.action = parsed
        }
        policy.quantile = try section.double("quantile", in: 0.5...1) ?? policy.quantile
        if let bits = try section.int("squeeze_bits", in: 0...16) { policy.squeezeBits = bits == 0 ? nil : bits }
        if let window = try section.int("median_window", in: 0...8) { policy.medianWindow = window < 2 ? nil : window }
        if let confidence = try section.double("min_confidence", in: 0...1) { policy.minConfidence = confidence == 0 ? nil : confidence }
        if let references = try section.section("references") {
            for (name, _) in references.members {
                guard let entry = try references.section(name) else { continue }
                try entry.only(["data", "label"])
                guard let data = try entry.string("data") else {
                    throw WardenError.invalidInput("\(section.source): '\(entry.key("data"))' is missing (a labelled CSV file)")
                }
                self.references[name] = Reference(data: data, label: try entry.string("label") ?? "label")
            }
        }
        adversarial = policy
    }

    static func extraction(_ section: ServerConfiguration.Section, base: ExtractionDetector.Policy) throws -> ExtractionDetector.Policy {
        try section.only([
            "action", "delta", "min_samples", "window", "max_stored", "max_clients", "low_margin", "max_low_margin_share", "max_volume",
            "volume_seconds", "flag_seconds", "throttle_seconds", "test_every", "out_of_distribution_rate", "alpha", "min_referenced",
            "class_balance",
        ])
        var policy = base
        if let action = try section.string("action") {
            guard let parsed = ExtractionDetector.Action(rawValue: action) else {
                throw WardenError.invalidInput("\(section.source): '\(section.key("action"))' is '\(action)'; use alert, throttle, block or revoke")
            }
            policy.action = parsed
        }
        policy.delta = try section.double("delta", in: 0...1) ?? policy.delta
        policy.minSamples = try section.int("min_samples", in: 3...5000) ?? policy.minSamples
        policy.window = try section.int("window", in: 3...5000) ?? policy.window
        policy.maxStored = try section.int("max_stored", in: 1...100_000) ?? policy.maxStored
        policy.maxClients = try section.int("max_clients", in: 1...1_000_000) ?? policy.maxClients
        policy.lowMargin = try section.double("low_margin", in: 0...1) ?? policy.lowMargin
        policy.maxLowMarginShare = try section.double("max_low_margin_share", in: 0...1) ?? policy.maxLowMarginShare
        if let volume = try section.int("max_volume", in: 1...Int(Int32.max)) { policy.maxVolume = volume }
        policy.volumeSeconds = try section.double("volume_seconds", in: 1...(86_400 * 31)) ?? policy.volumeSeconds
        policy.flagSeconds = try section.double("flag_seconds", in: 1...(86_400 * 365)) ?? policy.flagSeconds
        policy.throttleSeconds = try section.double("throttle_seconds", in: 0.001...86_400) ?? policy.throttleSeconds
        policy.testEvery = try section.int("test_every", in: 1...5000) ?? policy.testEvery
        policy.outOfDistributionRate = try section.double("out_of_distribution_rate", in: 1e-6...0.999) ?? policy.outOfDistributionRate
        policy.alpha = try section.double("alpha", in: 1e-300...0.5) ?? policy.alpha
        policy.minReferenced = try section.int("min_referenced", in: 1...5000) ?? policy.minReferenced
        policy.classBalance = try section.bool("class_balance") ?? policy.classBalance
        return policy
    }

    mutating func readAlertSinks(_ section: ServerConfiguration.Section) throws {
        if case .string(let file)? = section.value["cef"] {
            cefFile = file
        } else if let cef = try section.section("cef") {
            try cef.only(["file", "syslog_host"])
            guard let file = try cef.string("file") else { throw WardenError.invalidInput("\(section.source): '\(cef.key("file"))' is missing (the CEF file)") }
            cefFile = file
            cefSyslogHost = try cef.string("syslog_host")
        }
        if case .string(let url)? = section.value["webhook"] {
            webhook = try Self.webhook(url, section.source, section.key("webhook"))
        } else if let hook = try section.section("webhook") {
            try hook.only(["url", "timeout", "retries", "backoff", "capacity"])
            guard let url = try hook.string("url") else { throw WardenError.invalidInput("\(section.source): '\(hook.key("url"))' is missing") }
            var webhook = try Self.webhook(url, section.source, hook.key("url"))
            webhook.policy.timeout = try hook.double("timeout", in: 0.05...300) ?? webhook.policy.timeout
            webhook.policy.retries = try hook.int("retries", in: 0...20) ?? webhook.policy.retries
            webhook.policy.backoff = try hook.double("backoff", in: 0...600) ?? webhook.policy.backoff
            webhook.policy.capacity = try hook.int("capacity", in: 1...1_000_000) ?? webhook.policy.capacity
            self.webhook = webhook
        }
    }

    /// A webhook URL must be http(s) with a host.
    static func webhook(_ url: String, _ source: String, _ key: String) throws -> Webhook {
        guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), !(parsed.host ?? "").isEmpty else {
            throw WardenError.invalidInput("\(source): '\(key)' must be an http(s) URL, got '\(url.prefix(100))'")
        }
        return Webhook(url: url)
    }

    static func playbook(_ section: ServerConfiguration.Section) throws -> Playbook {
        try section.only(["rules", "block_seconds", "fallbacks"])
        var playbook = Playbook()
        playbook.blockSeconds = try section.double("block_seconds", in: 0...(86_400 * 365)) ?? playbook.blockSeconds
        if let fallbacks = try section.section("fallbacks") {
            for (name, _) in fallbacks.members {
                guard let target = try fallbacks.string(name) else { continue }
                guard target != name else { throw WardenError.invalidInput("\(section.source): '\(fallbacks.key(name))' names the model itself") }
                playbook.fallbacks[name] = target
            }
        }
        if let list = section.value["rules"], list != .null {
            guard let items = list.arrayValue else { throw WardenError.invalidInput("\(section.source): '\(section.key("rules"))' must be a list") }
            for (index, item) in items.enumerated() {
                let rule = try ServerConfiguration.Section(item, path: "\(section.key("rules"))[\(index)]", source: section.source)
                try rule.only(["on", "severity", "actions"])
                guard let types = try rule.strings("on"), !types.isEmpty else {
                    throw WardenError.invalidInput("\(section.source): '\(rule.key("on"))' must list the alert types it answers")
                }
                for type in types where !Playbook.knownTypes.contains(type) {
                    throw WardenError.invalidInput(
                        "\(section.source): '\(rule.key("on"))' names '\(type)'; use \(Playbook.knownTypes.sorted().joined(separator: ", "))")
                }
                var severity = GuardAlert.Severity.low
                if let text = try rule.string("severity") {
                    guard let parsed = GuardAlert.Severity(rawValue: text) else {
                        throw WardenError.invalidInput("\(section.source): '\(rule.key("severity"))' is '\(text)'; use low, medium, high or critical")
                    }
                    severity = parsed
                }
                let names = try rule.strings("actions") ?? []
                let actions: [Playbook.Action]
                do {
                    actions = try Playbook.actions(names)
                } catch {
                    throw WardenError.invalidInput("\(section.source): '\(rule.key("actions"))': \(error.message)")
                }
                playbook.rules.append(.init(types: Set(types), minimumSeverity: severity, actions: actions))
            }
        }
        return playbook
    }
}
