/// Why the gateway refused a request: the input does not fit the model, it is too large, or the
/// client is over its rate or budget. `message` names the tensor and the problem (never the data).
/// Equality compares `code` only.
public struct GuardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal (extensible: a struct around a private enum).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Internal: String, Sendable {
            case invalidInput = "invalid_input"
            case tooLarge = "too_large"
            case rateLimited = "rate_limited"
            case budgetExhausted = "budget_exhausted"
            case blocked
        }

        private let value: Internal
        private init(_ value: Internal) { self.value = value }

        /// The input does not match the model's schema (datatype, shape, NaN/Inf, range, names).
        public static let invalidInput = Code(.invalidInput)
        /// The request exceeds a batch, element or size limit.
        public static let tooLarge = Code(.tooLarge)
        /// The client's token bucket is empty.
        public static let rateLimited = Code(.rateLimited)
        /// The client used its daily query budget.
        public static let budgetExhausted = Code(.budgetExhausted)
        /// A detector flagged the client and the policy blocks it (403).
        public static let blocked = Code(.blocked)

        /// `invalid_input`, `too_large`, … (also the `reason` label of the rejection metric).
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// Seconds after which the same request may succeed (rate and budget refusals).
    public var retryAfter: Double?

    public init(_ code: Code, _ message: String, retryAfter: Double? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: GuardError, rhs: GuardError) -> Bool { lhs.code == rhs.code }

    static func invalid(_ message: String) -> GuardError { GuardError(.invalidInput, message) }
}
