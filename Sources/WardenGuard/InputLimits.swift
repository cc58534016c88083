/// Bounds on one inference request, checked before any tensor is allocated.
public struct InputLimits: Sendable, Equatable {
    /// Most rows (the first dimension of a batched input).
    public var maxBatch: Int = 1024
    /// Most elements over all inputs of one request.
    public var maxElements: Int = 1 << 20
    /// Most dimensions of one tensor.
    public var maxRank: Int = 8

    public init(maxBatch: Int = 1024, maxElements: Int = 1 << 20, maxRank: Int = 8) {
        self.maxBatch = maxBatch
        self.maxElements = maxElements
        self.maxRank = maxRank
    }

    /// The element count of `shape`, or a refusal naming `tensor` when a dimension is negative, the
    /// rank is over the limit, or the product overflows or exceeds the element limit.
    public func elementCount(of shape: [Int], tensor: String) throws(GuardError) -> Int {
        guard shape.count <= maxRank else {
            throw GuardError(.tooLarge, "input '\(tensor)' has \(shape.count) dimensions; at most \(maxRank) are accepted")
        }
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw GuardError.invalid("input '\(tensor)' has a negative dimension \(dimension) in its shape") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maxElements else {
                throw GuardError(.tooLarge, "input '\(tensor)' shape \(Self.text(shape)) holds more than \(maxElements) elements (the request limit)")
            }
            count = product
        }
        return count
    }

    static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
