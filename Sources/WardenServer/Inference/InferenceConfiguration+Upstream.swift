import WardenCore

extension InferenceConfiguration {
    /// An external Open Inference Protocol (KServe v2) model server the gateway proxies a served name
    /// to (`--upstream NAME=http://HOST:PORT[/v2/models/REMOTE[/versions/V]]`). The gateway answers
    /// `/v2/models/NAME[/ready|/infer]` itself, with every protection applied, and forwards only
    /// validated inputs; the upstream's answers are parsed and checked before anything is returned.
    public struct Upstream: Sendable, Equatable {
        /// `scheme://host:port` without a path.
        public var base: String
        /// The model's name on the upstream server.
        public var model: String
        /// The upstream version to use (`/versions/V`); nil: the upstream's default.
        public var version: String?
        /// Seconds for one upstream call (connect, send, answer) → 504 beyond.
        public var timeout: Double = 10
        /// Largest upstream answer read → 502 beyond.
        public var maxResponseBytes: Int = 16 << 20
        /// Whether feature squeezing runs for this model: each screened request then costs one more
        /// upstream call (all squeezed rows in one batch), and calibration one call per squeezer over
        /// the reference data. Off by default: Mahalanobis and low confidence need no extra calls.
        public var squeeze: Bool = false

        public init(base: String, model: String, version: String? = nil) {
            self.base = base
            self.model = model
            self.version = version
        }

        /// The upstream model's URL: `base/v2/models/REMOTE[/versions/V]`.
        public var modelURL: String { base + "/v2/models/" + model + (version.map { "/versions/" + $0 } ?? "") }

        /// Parses `http[s]://HOST[:PORT][/v2/models/REMOTE[/versions/V]]`; without a model path the
        /// upstream model has the served name `name`.
        /// - Throws: `.invalidInput` saying what is wrong with the URL.
        public init(name: String, url: String) throws {
            let text = url.hasSuffix("/") ? String(url.dropLast()) : url
            guard let schemeEnd = text.range(of: "://"), ["http", "https"].contains(text[..<schemeEnd.lowerBound].lowercased()) else {
                throw WardenError.invalidInput("upstream '\(name)': '\(url)' is not an http:// or https:// URL")
            }
            let rest = text[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" }
            guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else {
                throw WardenError.invalidInput("upstream '\(name)': '\(url)' needs a host (and no user info, query or fragment)")
            }
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                    throw WardenError.invalidInput("upstream '\(name)': '\(url)' has a port that is not in 1…65535")
                }
            }
            base = String(text[..<authority.endIndex])
            let path = rest[authority.endIndex...].split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            switch path.count {
            case 0:
                model = name
            case 3 where path[0] == "v2" && path[1] == "models", 5 where path[0] == "v2" && path[1] == "models" && path[3] == "versions":
                model = path[2]
                version = path.count == 5 ? path[4] : nil
            default:
                throw WardenError.invalidInput("upstream '\(name)': '\(url)' must end at the server (http://HOST:PORT) or at /v2/models/REMOTE[/versions/V]")
            }
            let segments = [model] + (version.map { [$0] } ?? [])
            guard segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { Self.isPathByte($0) } }) else {
                throw WardenError.invalidInput("upstream '\(name)': the model name and version in '\(url)' may hold letters, digits, '.', '_' and '-' only")
            }
        }

        static func isPathByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }
}
