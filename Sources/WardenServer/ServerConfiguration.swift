import WardenRegistry

/// Everything `warden serve` is configured with: warden.yaml, then command-line flags on top.
/// Every key, its type and its default is listed in ``ServerConfiguration/init(yaml:source:)`` and
/// in docs/configuration.md. Secrets (tokens, keys) are never given defaults: only paths to them.
public struct ServerConfiguration: Sendable, Equatable {
    /// Where to listen and how.
    public struct HTTP: Sendable, Equatable {
        public var host: String = "127.0.0.1"
        public var port: Int = 8080
        /// PEM certificate chain and private key; both or neither.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// Seconds a connection may sit without a request in progress (or with a request whose
        /// bytes stopped coming) before the server closes it.
        public var idleTimeout: Double = 60

        public init() {}
    }

    /// Where metadata and the audit chain live.
    public struct Database: Sendable, Equatable {
        /// `postgres://user:password@host:port/db`, or nil for SQLite under the data folder.
        public var url: String?
        /// Connections per replica to PostgreSQL.
        public var maxConnections: Int = 8

        public init() {}
    }

    /// Bounds on what a request may send.
    public struct Limits: Sendable, Equatable {
        /// Largest artefact in one upload (bytes).
        public var maxArtefactBytes: Int = 8 << 30
        /// Largest JSON body (bytes).
        public var maxJSONBytes: Int = 1 << 20
        /// Largest result page of list and search calls.
        public var maxResults: Int = 10_000

        public init() {}
    }

    /// Who may call, and how they prove it.
    public struct Auth: Sendable, Equatable {
        /// File holding the first admin's token (or `WARDEN_ADMIN_TOKEN`).
        public var adminTokenFile: String?
        /// How long a verified token stays verified in memory (seconds; 0 disables the cache).
        public var tokenCacheSeconds: Int = 30
        public var tokenCacheEntries: Int = 10_000
        /// MLflow's `MLFLOW_TRACKING_USERNAME`/`PASSWORD`: the password is a Warden token.
        public var basicAuth: Bool = true
        /// Bearer JWTs from an external issuer, verified with the keys of a JWKS file.
        public var jwt: JWT?

        public init() {}
    }

    /// An external identity provider's tokens.
    public struct JWT: Sendable, Equatable {
        public var jwksFile: String
        /// Required `iss`, when set.
        public var issuer: String?
        /// Required `aud` member, when set.
        public var audience: String?
        /// Claim holding the Warden roles (a list of role names).
        public var rolesClaim: String = "roles"
        /// Claim copied to the principal's `team` attribute.
        public var teamClaim: String = "team"

        public init(jwksFile: String) { self.jwksFile = jwksFile }
    }

    /// The audit chain's signed checkpoints.
    public struct Audit: Sendable, Equatable {
        /// A checkpoint (the chain head signed with the server key) every this many entries; 0 = never.
        public var checkpointEvery: Int = 1000
        /// The server key (PEM private key) that signs checkpoints; nil = checkpoints off.
        public var signingKey: String?

        public init() {}
    }

    /// Encryption of the artefacts at rest.
    public struct Encryption: Sendable, Equatable {
        /// Keyring folder (`warden keys init`) whose current key wraps each new blob's data key;
        /// nil = blobs stored as uploaded.
        public var keyring: String?

        public init() {}
    }

    /// Data folder: `registry.sqlite`, `blobs/`, `tmp/`.
    public var data: String = "warden-data"
    public var http = HTTP()
    public var database = Database()
    public var limits = Limits()
    public var auth = Auth()
    public var audit = Audit()
    public var encryption = Encryption()
    /// Public keys whose signatures and attestations the gates accept (paths).
    public var trustedKeys: [String] = []
    /// Gates per protected alias (default: `production` only).
    public var gates = GatePolicy()
    /// Principals declared in the file, written to the store at start (tokens are made with
    /// `warden registry token create`).
    public var principals: [Principal] = []
    /// The inference gateway (`/v2`): served models, limits, loading policy.
    public var inference = InferenceConfiguration()

    public init() {}

    /// A copy with `change` applied.
    public func with(_ change: (inout ServerConfiguration) -> Void) -> ServerConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}
