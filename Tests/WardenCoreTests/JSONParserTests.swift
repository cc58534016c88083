import Testing
import WardenCore
import WardenTesting

/// The JSON parser accepts exactly RFC 8259 documents, stays within its depth and size bounds, and
/// answers every malformed input with a typed ``WardenError`` naming the source and byte offset.
struct JSONParserTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var expected: JSONValue
        var testDescription: String { id }
    }

    static let valid: [Valid] = [
        Valid(id: "null", input: "null", expected: .null),
        Valid(id: "true", input: "true", expected: .bool(true)),
        Valid(id: "false", input: "false", expected: .bool(false)),
        Valid(id: "white space around", input: " \t\r\n 7 \n\t", expected: .int(7)),
        Valid(id: "zero", input: "0", expected: .int(0)),
        Valid(id: "negative zero", input: "-0", expected: .int(0)),
        Valid(id: "negative", input: "-12", expected: .int(-12)),
        Valid(id: "Int64.max", input: "9223372036854775807", expected: .int(.max)),
        Valid(id: "Int64.min", input: "-9223372036854775808", expected: .int(.min)),
        Valid(id: "past Int64 becomes double", input: "9223372036854775808", expected: .double(9.223372036854775808e18)),
        Valid(id: "fraction", input: "1.5", expected: .double(1.5)),
        Valid(id: "exponent", input: "1E3", expected: .double(1000)),
        Valid(id: "signed exponent", input: "-0.25e+2", expected: .double(-25)),
        Valid(id: "negative exponent", input: "1e-2", expected: .double(0.01)),
        Valid(id: "empty string", input: #""""#, expected: .string("")),
        Valid(
            id: "short escapes", input: #""a\"b\\c\/d\b\f\n\r\t""#,
            expected: .string("a\"b\\c/d\u{8}\u{C}\n\r\t")),
        Valid(id: "unicode escapes either case", input: #""\u00e9\u00E9\u0041""#, expected: .string("ééA")),
        Valid(id: "escaped NUL", input: #""\u0000""#, expected: .string("\u{0}")),
        Valid(id: "surrogate pair", input: #""\ud83d\ude00""#, expected: .string("😀")),
        Valid(id: "surrogate pair upper case", input: #""\uD834\uDD1E!""#, expected: .string("𝄞!")),
        Valid(id: "raw UTF-8", input: "\"日本 é 😀\"", expected: .string("日本 é 😀")),
        Valid(id: "DEL is not a control character", input: "\"\u{7F}\"", expected: .string("\u{7F}")),
        Valid(id: "empty array", input: "[]", expected: .array([])),
        Valid(id: "empty object", input: "{ }", expected: .object([])),
        Valid(id: "nested arrays", input: "[1,[2,[3,[]]]]", expected: [1, [2, [3, []]]]),
        Valid(
            id: "object keeps document order", input: #"{"b":1, "a" : [true,null] ,"":{}}"#,
            expected: .object([("b", 1), ("a", [true, nil]), ("", .object([]))])),
    ]

    @Test(arguments: valid)
    func parsesValidDocuments(_ c: Valid) throws {
        let value = try JSONParser().parse(c.input)
        #expect(value == c.expected)
        // Same kind of number, not merely an equal one.
        #expect(value.canonicalString == c.expected.canonicalString)
    }

    @Test func objectMembersKeepTheirOrder() throws {
        let value = try JSONParser().parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(value.compactString == #"{"z":1,"a":2,"m":3}"#)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var id: String
        var input: [UInt8]
        var testDescription: String { id }
        init(_ id: String, _ text: String) {
            self.id = id
            self.input = Array(text.utf8)
        }
        init(_ id: String, bytes: [UInt8]) {
            self.id = id
            self.input = bytes
        }
    }

    static let invalid: [Invalid] = [
        Invalid("empty", ""),
        Invalid("only white space", " \n"),
        Invalid("truncated literal", "nul"),
        Invalid("wrong case literal", "True"),
        Invalid("literal with junk", "nullx"),
        Invalid("leading zero", "01"),
        Invalid("bare minus", "-"),
        Invalid("dot without digits", "1."),
        Invalid("leading dot", ".5"),
        Invalid("exponent without digits", "1e"),
        Invalid("exponent sign without digits", "1e+"),
        Invalid("plus sign", "+1"),
        Invalid("hex number", "0x10"),
        Invalid("NaN", "NaN"),
        Invalid("Infinity", "-Infinity"),
        Invalid("overflowing double", "1e400"),
        Invalid("trailing comma in array", "[1,]"),
        Invalid("leading comma in array", "[,1]"),
        Invalid("trailing comma in object", #"{"a":1,}"#),
        Invalid("missing colon", #"{"a" 1}"#),
        Invalid("unquoted key", "{a:1}"),
        Invalid("number key", "{1:1}"),
        Invalid("duplicate key", #"{"a":1,"a":2}"#),
        Invalid("mismatched bracket", "[1}"),
        Invalid("unclosed array", "[1,2"),
        Invalid("unclosed object", #"{"a":1"#),
        Invalid("single quotes", "'a'"),
        Invalid("unterminated string", #""abc"#),
        Invalid("unterminated escape", #""abc\"#),
        Invalid("unknown escape", #""\x41""#),
        Invalid("short unicode escape", #""\u12""#),
        Invalid("non-hex unicode escape", #""\u12G4""#),
        Invalid("lone high surrogate", #""\ud83d""#),
        Invalid("high surrogate then text", #""\ud83dabcdef""#),
        Invalid("high surrogate then non-surrogate", #""\ud83d\u0041""#),
        Invalid("lone low surrogate", #""\ude00""#),
        Invalid("raw control character", "\"a\u{1}b\""),
        Invalid("raw newline in string", "\"a\nb\""),
        Invalid("two documents", "[1] [2]"),
        Invalid("garbage after object", "{} x"),
        Invalid("two numbers", "1 2"),
        Invalid("byte order mark", "\u{FEFF}1"),
        Invalid("comment", "[1] // no"),
        Invalid("invalid UTF-8 continuation", bytes: [0x22, 0xC3, 0x28, 0x22]),
        Invalid("0xFF in a string", bytes: [0x22, 0xFF, 0x22]),
        Invalid("overlong encoding", bytes: [0x22, 0xC0, 0xAF, 0x22]),
        Invalid("UTF-8 encoded surrogate", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]),
        Invalid("truncated UTF-8 sequence", bytes: [0x22, 0xE6, 0x97, 0x22]),
        Invalid("invalid UTF-8 outside strings", bytes: [0xFF]),
        Invalid("NUL byte outside strings", bytes: [0x5B, 0x00, 0x5D]),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocumentsWithATypedError(_ c: Invalid) {
        do throws(WardenError) {
            let value = try JSONParser().parse(c.input, source: "case.json")
            Issue.record("parsed to \(value.compactString)")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("case.json"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func errorsNameTheByteOffset() {
        #expect {
            try JSONParser().parse("[1,]", source: "x.json")
        } throws: { error in
            (error as? WardenError)?.message == "x.json is not valid JSON: unexpected character at byte 3"
        }
    }

    @Test func depthLimitCountsOpenContainers() throws {
        let parser = JSONParser(maxDepth: 4)
        for depth in 0...4 {
            let text = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
            #expect(throws: Never.self) { try parser.parse(text) }
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(throws: Never.self) { try parser.parse(objects) }
        }
        for text in ["[[[[[]]]]]", "[[[[[1]]]]]", #"{"a":{"a":{"a":{"a":{}}}}}"#, #"[{"a":[{"a":[]}]}]"#] {
            #expect(throws: WardenError.invalidInput("")) { try parser.parse(text) }
        }
    }

    @Test func defaultDepthLimitIs128AndDeepInputCannotOverflowTheStack() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSONParser().parse(ok) }
        let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(throws: WardenError.invalidInput("")) { try JSONParser().parse(deep) }
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: WardenError.invalidInput("")) { try JSONParser().parse(hostile) }
    }

    @Test func sizeLimitIsInclusive() throws {
        let parser = JSONParser(maxBytes: 10)
        #expect(try parser.parse("[1,2,3,45]") == [1, 2, 3, 45])
        #expect {
            try parser.parse("[1,2,3,456]", source: "big.json")
        } throws: { error in
            let error = error as? WardenError
            return error?.code == .invalidInput && error?.message.contains("10-byte limit") == true
        }
    }

    static let sample = #"""
        {"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","list":[1,-2.5e3,true,false,null,[],{}],
         "text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n","nested":{"a":{"b":[{"c":"日本"}]}},"n":-0.125}
        """#

    @Test func everyTruncationIsRejectedWithATypedError() {
        let input = Array(Self.sample.utf8)
        let outcome = ParserVerifier.verify(input, flips: 0, maxTruncations: input.count) { bytes in
            do throws(WardenError) {
                _ = try JSONParser().parse(bytes)
            } catch {
                #expect(error.code == .invalidInput)
                throw error
            }
        }
        // The whole document parses; each of its proper prefixes is rejected.
        #expect(outcome.parsed == 1)
        #expect(outcome.rejected == input.count)
    }

    @Test func bitFlipsParseToARoundTrippingValueOrThrowTypedErrors() {
        let input = Array(Self.sample.utf8)
        let outcome = ParserVerifier.verify(input, flips: 2_000, maxTruncations: 1, seed: 99) { bytes in
            let value: JSONValue
            do throws(WardenError) {
                value = try JSONParser().parse(bytes)
            } catch {
                #expect(error.code == .invalidInput)
                throw error
            }
            // Whatever parses must survive being written and read back.
            #expect(try JSONParser().parse(value.canonicalString) == value)
        }
        #expect(outcome.parsed + outcome.rejected == 2_002)
        #expect(outcome.rejected > 1_000)
    }

    /// Random documents survive every writer: canonical, compact and pretty.
    @Test func randomDocumentsRoundTrip() throws {
        var rng = SeededGenerator(seed: 2024)
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &rng)
            #expect(try JSONParser().parse(value.canonicalString) == value)
            #expect(try JSONParser().parse(value.compactString) == value)
            #expect(try JSONParser().parse(value.prettyString()) == value)
            #expect(try JSONParser().parse(value.prettyString(indent: 4)).compactString == value.compactString)
        }
    }

    static func randomValue(depth: Int, using rng: inout SeededGenerator) -> JSONValue {
        let pick = depth > 4 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<7, using: &rng)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: .min ... .max, using: &rng))
        case 3:
            let d = Double(bitPattern: rng.next())
            return d.isFinite ? .double(d) : .double(Double.random(in: -1e6...1e6, using: &rng))
        case 4: return .string(randomString(using: &rng))
        case 5: return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in randomValue(depth: depth + 1, using: &rng) })
        default:
            var members: [(String, JSONValue)] = []
            var seen = Set<String>()
            for _ in 0..<Int.random(in: 0..<5, using: &rng) {
                let key = randomString(using: &rng)
                if seen.insert(key).inserted { members.append((key, randomValue(depth: depth + 1, using: &rng))) }
            }
            return .object(members)
        }
    }

    static func randomString(using rng: inout SeededGenerator) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "日", "😀", "\u{FFFF}"]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<8, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
        return String(s)
    }
}
