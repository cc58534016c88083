import Testing
import WardenCore
import WardenGuard

/// Schema validation against hostile tensors: each case is refused with the right code and a
/// message naming the tensor and the problem; valid inputs pass (and out-of-range ones are clipped
/// under the clip policy).
struct InputValidatorTests {
    static let schema = ModelSchema(
        inputs: [TensorSpec(name: "x", datatype: .fp32, shape: [-1, 3], ranges: [0...1, 0...10, -5...5])],
        outputs: [TensorSpec(name: "y", datatype: .fp32, shape: [-1, 2])])

    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var tensors: [InferenceTensor]
        var code: GuardError.Code
        /// Words the message must hold.
        var mentions: [String]
        var testDescription: String { id }
    }

    static func x(_ shape: [Int], _ values: [Float]) -> InferenceTensor { InferenceTensor(name: "x", shape: shape, values: .float(values)) }

    static let hostile: [Case] = [
        Case(id: "missing input", tensors: [], code: .invalidInput, mentions: ["'x'", "missing"]),
        Case(id: "unknown input", tensors: [x([1, 3], [0, 0, 0]), InferenceTensor(name: "evil\u{1B}[31m", shape: [1], values: .float([1]))],
             code: .invalidInput, mentions: ["evil[31m", "not an input"]),
        Case(id: "duplicate input", tensors: [x([1, 3], [0, 0, 0]), x([1, 3], [0, 0, 0])], code: .invalidInput, mentions: ["twice"]),
        Case(id: "wrong datatype", tensors: [InferenceTensor(name: "x", shape: [1, 3], values: .int64([0, 0, 0]))], code: .invalidInput,
             mentions: ["INT64", "FP32"]),
        Case(id: "wrong width", tensors: [x([1, 4], [0, 0, 0, 0])], code: .invalidInput, mentions: ["[1, 4]", "[-1, 3]"]),
        Case(id: "wrong rank", tensors: [x([3], [0, 0, 0])], code: .invalidInput, mentions: ["[3]"]),
        Case(id: "data shorter than shape", tensors: [x([2, 3], [0, 0, 0])], code: .invalidInput, mentions: ["3 values", "needs 6"]),
        Case(id: "NaN", tensors: [x([2, 3], [0, 0, 0, 0, .nan, 0])], code: .invalidInput, mentions: ["element 4", "row 1", "NaN"]),
        Case(id: "infinity", tensors: [x([1, 3], [0, -.infinity, 0])], code: .invalidInput, mentions: ["infinite"]),
        Case(id: "out of range", tensors: [x([1, 3], [0.5, 99, 0])], code: .invalidInput, mentions: ["feature 1", "99", "0.0…10.0"]),
        Case(id: "negative dimension", tensors: [x([-1, 3], [])], code: .invalidInput, mentions: ["negative"]),
        Case(id: "huge shape", tensors: [x([1 << 40, 1 << 40], [])], code: .tooLarge, mentions: ["more than"]),
        Case(id: "overflowing shape", tensors: [x([Int.max, Int.max], [])], code: .tooLarge, mentions: ["more than"]),
        Case(id: "batch over limit", tensors: [x([9, 3], [Float](repeating: 0, count: 27))], code: .tooLarge, mentions: ["batch of 9", "8"]),
        Case(id: "rank over limit", tensors: [x([1, 1, 1, 1, 1, 1, 1, 1, 1, 3], [0, 0, 0])], code: .tooLarge, mentions: ["10 dimensions"]),
    ]

    @Test(arguments: hostile) func refuses(_ c: Case) {
        let validator = InputValidator(schema: Self.schema, limits: InputLimits(maxBatch: 8, maxElements: 1000, maxRank: 8))
        #expect {
            _ = try validator.validate(c.tensors, model: "m")
        } throws: { error in
            guard let refusal = error as? GuardError else { return false }
            let named = c.mentions.allSatisfy { refusal.message.contains($0) }
            #expect(named, "\(c.id): \(refusal.message)")
            #expect(!refusal.message.contains("\n") && !refusal.message.contains("\u{1B}"))
            return refusal.code == c.code && named
        }
    }

    @Test func acceptsValidInputAndClipsByPolicy() throws {
        let good = Self.x([2, 3], [0, 10, -5, 1, 0, 5.2])  // 5.2 is within the 5 % slack of -5…5
        #expect(try InputValidator(schema: Self.schema).validate([good], model: "m") == [good])
        let wild = Self.x([1, 3], [2, -100, 7])
        let clipped = try InputValidator(schema: Self.schema, rangePolicy: .clip).validate([wild], model: "m")
        #expect(clipped == [Self.x([1, 3], [1, 0, 5])])
        #expect(try InputValidator(schema: Self.schema, rangePolicy: .ignore).validate([wild], model: "m") == [wild])
        // NaN is refused whatever the range policy.
        #expect(throws: GuardError(.invalidInput, "")) {
            try InputValidator(schema: Self.schema, rangePolicy: .ignore).validate([Self.x([1, 3], [0, .nan, 0])], model: "m")
        }
    }

    @Test func digestsAreCanonical() {
        let a = Self.x([1, 3], [1, 2, 3])
        #expect(InferenceTensor.digest(of: [a]) == InferenceTensor.digest(of: [Self.x([1, 3], [1, 2, 3])]))
        #expect(InferenceTensor.digest(of: [a]) != InferenceTensor.digest(of: [Self.x([3, 1], [1, 2, 3])]))
        #expect(InferenceTensor.digest(of: [a]) != InferenceTensor.digest(of: [Self.x([1, 3], [1, 2, 3.0001])]))
    }
}
