import WardenGuard

/// The inference gateway's settings (`warden serve --model`, `--rate-limit`, …; warden.yaml `inference`).
public struct InferenceConfiguration: Sendable, Equatable {
    /// Models served straight from ONNX files: name → path (`--model NAME=PATH.onnx`).
    public var models: [String: String] = [:]
    /// Models proxied to external KServe-v2 servers (upstream mode): served name → upstream
    /// (`--upstream NAME=http://HOST:PORT[/v2/models/REMOTE]`). Every protection still applies.
    public var upstreams: [String: Upstream] = [:]
    /// The alias a registry model's bare name resolves to (`/v2/models/fraud` → `fraud@production`).
    public var alias: String = "production"
    /// Registry models load only when their signature verified on upload and their scan found
    /// nothing at or above `scanBelow`.
    public var requireVerified: Bool = true
    /// Highest scan severity that blocks loading (`medium`: medium, high and critical block).
    public var scanBelow: String = "medium"
    /// Whether callers without a token may use the `--model` file models (never registry models).
    /// `warden serve` turns it on when no admin token is configured and says so.
    public var anonymous: Bool = false
    /// Largest inference request body (bytes) → 413.
    public var maxBodyBytes: Int = 8 << 20
    /// Inference requests served at once (gateway-wide) → 503 with Retry-After beyond.
    public var maxConcurrent: Int = 64
    /// Seconds a client may take to send its request body → 408.
    public var requestTimeout: Double = 30
    /// Batch, element and rank limits → 413.
    public var limits = InputLimits()
    /// Per-client rate and daily budget → 429 with Retry-After.
    public var rate = RateLimiter.Policy()
    /// Out-of-range features: reject (400), clip, or ignore.
    public var rangePolicy: InputValidator.RangePolicy = .reject
    /// Appends an `inference.predict` event (input digest, output, client, model version) per request.
    public var auditPredictions: Bool = true
    /// Model-extraction detection per client (PRADA, low-margin share, volume) and what to do with
    /// a flagged client; nil turns it off.
    public var extraction: ExtractionDetector.Policy? = ExtractionDetector.Policy()
    /// JSONL file the alerts are appended to (`--alerts`); nil: alerts go to the audit log and metrics only.
    public var alertsFile: String?
    /// File the alerts are appended to as CEF lines for a SIEM (`--alert-cef`).
    public var cefFile: String?
    /// With `cefFile`: prefix each line with an RFC 5424 syslog header naming this host.
    public var cefSyslogHost: String?
    /// A webhook every alert is POSTed to as JSON (`--alert-webhook`).
    public var webhook: Webhook?
    /// Automatic responses to alerts (block, revoke, rollback, fallback).
    public var playbook = Playbook()
    /// Windowed drift of inputs and predictions against each model's reference data
    /// (`references`); nil turns it off (the default).
    public var drift: DriftWindow.Policy?
    /// A/B traffic splits: a served name → two or more targets (a registry version number of the
    /// model, or another served model name) with integer weights.
    public var splits: [String: [TrafficSplit.Target]] = [:]
    /// OMS signature bundle per `--model` name (`--model-signature NAME=SIG`), verified with the
    /// trusted keys before the file is loaded.
    public var signatures: [String: String] = [:]
    /// Adversarial/OOD detection (Mahalanobis, feature squeezing, low confidence) and its policy
    /// (log, review, reject); nil turns it off (the default).
    public var adversarial: AdversarialDetector.Policy?
    /// Reference (training) data per served model name, for the Mahalanobis and squeezing thresholds.
    public var references: [String: Reference] = [:]

    /// Output hardening per served model name (`--harden NAME=SPEC`): top-k, rounding, label only, noise.
    public var hardening: [String: OutputHardening] = [:]

    /// Where and how alerts are POSTed.
    public struct Webhook: Sendable, Equatable {
        /// An http(s) URL.
        public var url: String
        public var policy = WebhookQueue.Policy()
        public init(url: String) { self.url = url }
    }

    /// A labelled CSV table of a model's training distribution.
    public struct Reference: Sendable, Equatable {
        public var data: String
        public var label: String
        public init(data: String, label: String = "label") {
            self.data = data
            self.label = label
        }
    }

    public init() {}
}
