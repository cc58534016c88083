import Testing
import WardenCore
import WardenTesting

/// The writers: canonical (sorted keys, no white space), compact (document order) and pretty, which
/// must produce what Python's `json.dumps(indent=2, ensure_ascii=…)` does, because the OMS payload
/// is written that way by model-signing (protobuf's `MessageToJson`).
struct JSONValueTests {
    @Test func canonicalFormSortsKeysRecursivelyAndKeepsArrayOrder() {
        let value: JSONValue = .object([
            ("b", 1), ("a", .object([("z", true), ("y", nil)])), ("A", [3, 2, 1]), ("aa", "x"), ("", .object([])),
        ])
        #expect(value.canonicalString == #"{"":{},"A":[3,2,1],"a":{"y":null,"z":true},"aa":"x","b":1}"#)
        #expect(value.canonicalBytes == Array(value.canonicalString.utf8))
        // Compact keeps the document order.
        #expect(value.compactString == #"{"b":1,"a":{"z":true,"y":null},"A":[3,2,1],"aa":"x","":{}}"#)
    }

    /// RFC 8785 orders keys by UTF-16 code units: U+1F600 (D83D DE00) sorts before U+FF61, although
    /// its code point is larger.
    @Test func canonicalKeyOrderIsUTF16() {
        let value: JSONValue = .object([("\u{FF61}", 2), ("😀", 1), ("é", 0), ("z", -1)])
        #expect(value.canonicalString == "{\"z\":-1,\"é\":0,\"😀\":1,\"\u{FF61}\":2}")
    }

    @Test func canonicalFormDoesNotDependOnMemberOrder() {
        let a: JSONValue = .object([("x", 1), ("y", [.object([("p", 1), ("q", 2)])])])
        let b: JSONValue = .object([("y", [.object([("q", 2), ("p", 1)])]), ("x", 1)])
        #expect(a == b)
        #expect(a.canonicalString == b.canonicalString)
        #expect(a.compactString != b.compactString)
    }

    struct Escape: Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var expected: String
        var testDescription: String { id }
    }

    static let escapes: [Escape] = [
        Escape(id: "quote and backslash", input: "a\"b\\c", expected: #""a\"b\\c""#),
        Escape(id: "slash is not escaped", input: "a/b", expected: #""a/b""#),
        Escape(id: "short escapes", input: "\n\r\t\u{8}\u{C}", expected: #""\n\r\t\b\f""#),
        Escape(id: "other controls as lowercase \\u", input: "\u{0}\u{1}\u{1F}\u{1B}", expected: #""\u0000\u0001\u001f\u001b""#),
        Escape(id: "DEL and non-ASCII stay raw", input: "\u{7F}é日😀", expected: "\"\u{7F}é日😀\""),
        Escape(id: "plain text is written whole", input: "sha256:2d71/model.onnx@v1", expected: #""sha256:2d71/model.onnx@v1""#),
        Escape(id: "an escape after a long plain run", input: "runs:/0123456789abcdef/model\u{1}", expected: #""runs:/0123456789abcdef/model\u0001""#),
        Escape(id: "empty", input: "", expected: #""""#),
    ]

    @Test(arguments: escapes)
    func stringsAreEscapedMinimally(_ c: Escape) throws {
        let value = JSONValue.string(c.input)
        #expect(value.canonicalString == c.expected)
        #expect(value.compactString == c.expected)
        #expect(value.prettyString() == c.expected)
        #expect(try JSONParser().parse(c.expected) == value)
    }

    struct Number: Sendable, CustomTestStringConvertible {
        var input: JSONValue
        var expected: String
        var testDescription: String { expected }
    }

    /// `repr(float)` / `json.dumps` of the same numbers in Python 3.
    static let numbers: [Number] = [
        Number(input: .int(0), expected: "0"),
        Number(input: .int(-2), expected: "-2"),
        Number(input: .int(.max), expected: "9223372036854775807"),
        Number(input: .int(.min), expected: "-9223372036854775808"),
        Number(input: .double(1), expected: "1.0"),
        Number(input: .double(4), expected: "4.0"),
        Number(input: .double(1.5), expected: "1.5"),
        Number(input: .double(0.1), expected: "0.1"),
        Number(input: .double(-0.125), expected: "-0.125"),
        Number(input: .double(123456.789), expected: "123456.789"),
        Number(input: .double(0.1 + 0.2), expected: "0.30000000000000004"),
        Number(input: .double(1048576), expected: "1048576.0"),
        Number(input: .double(1e15), expected: "1000000000000000.0"),
        Number(input: .double(9_007_199_254_740_994), expected: "9007199254740994.0"),
        Number(input: .double(9.999e15), expected: "9999000000000000.0"),
        Number(input: .double(1e16), expected: "1e+16"),
        Number(input: .double(1e22), expected: "1e+22"),
        Number(input: .double(1.5e300), expected: "1.5e+300"),
        Number(input: .double(0.0001), expected: "0.0001"),
        Number(input: .double(0.00001), expected: "1e-05"),
        Number(input: .double(1.5e-7), expected: "1.5e-07"),
    ]

    @Test(arguments: numbers)
    func numbersAreWrittenAsPythonDoes(_ c: Number) throws {
        #expect(c.input.canonicalString == c.expected)
        #expect(c.input.prettyString() == c.expected)
        #expect(try JSONParser().parse(c.expected) == c.input)
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.double(.infinity).compactString == "null")
        #expect(JSONValue.double(.nan).canonicalString == "null")
    }

    /// Generated with: `print(json.dumps(doc, indent=2, ensure_ascii=True))` in Python 3.
    @Test func prettyFormMatchesPythonJSONDumpsIndent2() {
        let value: JSONValue = .object([
            ("_type", "x"),
            ("list", [1, -2, .double(1.5), .double(0.1), .double(123456.789), true, false, nil, [], .object([]), [[]], .object([("a", .object([]))])]),
            ("s", "q\"b\\s/\n\t\u{1}\u{1F}"),
            ("nested", .object([("z", [.object([("k", "v")])])])),
        ])
        let python = """
            {
              "_type": "x",
              "list": [
                1,
                -2,
                1.5,
                0.1,
                123456.789,
                true,
                false,
                null,
                [],
                {},
                [
                  []
                ],
                {
                  "a": {}
                }
              ],
              "s": "q\\"b\\\\s/\\n\\t\\u0001\\u001f",
              "nested": {
                "z": [
                  {
                    "k": "v"
                  }
                ]
              }
            }
            """
        #expect(value.prettyString(indent: 2) == python)
        #expect(value.prettyString() == python)
    }

    /// `json.dumps({"name": "café/😀.bin", "kéy": ["日本", "\x7f"]}, indent=2, ensure_ascii=True)`:
    /// every character outside printable ASCII becomes a lowercase `\u` escape, astral ones as a
    /// surrogate pair, exactly as model-signing writes its payload.
    @Test func prettyFormCanEscapeLikeEnsureASCII() throws {
        let value: JSONValue = .object([("name", "café/😀.bin"), ("kéy", ["日本", "\u{7F}"])])
        let python = "{\n  \"name\": \"caf\\u00e9/\\ud83d\\ude00.bin\",\n  \"k\\u00e9y\": [\n    \"\\u65e5\\u672c\",\n    \"\\u007f\"\n  ]\n}"
        let written = value.prettyString(indent: 2, asciiOnly: true)
        #expect(written == python)
        #expect(written.utf8.allSatisfy { $0 < 0x80 })
        #expect(try JSONParser().parse(written) == value)
        // Without the option non-ASCII stays raw.
        #expect(value.prettyString(indent: 2).contains("café/😀.bin"))
    }

    /// Strings that need no escape take a shortcut (appended whole); every string, with or without
    /// escapes and with `asciiOnly` or not, still reads back as itself (seeded random strings mixing
    /// plain ASCII, the escaped characters, DEL and non-ASCII at any position).
    @Test func everyStringReadsBackAsItselfThroughBothWritePaths() throws {
        var random = SeededGenerator(seed: 6)
        let alphabet: [Character] = ["a", "Z", "0", "/", ":", " ", "\"", "\\", "\n", "\u{1}", "\u{1F}", "\u{7F}", "é", "日", "😀"]
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...24, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            let value: JSONValue = .object([(text, .string(text))])
            for written in [value.compactString, value.canonicalString, value.prettyString(asciiOnly: true)] {
                #expect(try JSONParser().parse(written) == value, "\(text.debugDescription)")
            }
            #expect(value.prettyString(asciiOnly: true).utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A })
            if !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\\" }) {
                #expect(JSONValue.string(text).compactString == "\"" + text + "\"")
            }
        }
    }

    @Test func prettyIndentWidthIsConfigurable() {
        let value: JSONValue = .object([("a", [1])])
        #expect(value.prettyString(indent: 4) == "{\n    \"a\": [\n        1\n    ]\n}")
        #expect(value.prettyString(indent: 0) == "{\n\"a\": [\n1\n]\n}")
    }

    @Test func equalityIgnoresMemberOrderAndNumberRepresentation() {
        #expect(JSONValue.int(1) == .double(1))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(JSONValue.int(1) != .string("1"))
        #expect(JSONValue.bool(true) != .int(1))
        #expect(JSONValue.null != .array([]))
        #expect(JSONValue.array([1, 2]) != .array([2, 1]))
        #expect(JSONValue.object([("a", 1)]) != .object([("a", 1), ("b", 2)]))
        #expect(JSONValue.object([("a", 1), ("b", 2)]) == .object([("b", 2), ("a", 1)]))
    }

    /// Equal values must hash equally, or sets and dictionaries of JSON misbehave.
    @Test func equalValuesHashEqually() {
        let pairs: [(JSONValue, JSONValue)] = [
            (.int(1), .double(1)),
            (.int(-7), .double(-7)),
            (.array([.int(4)]), .array([.double(4)])),
            (.object([("a", 1), ("b", .double(2))]), .object([("b", 2), ("a", .double(1))])),
            (.double(0), .double(-0.0)),
        ]
        for (a, b) in pairs {
            #expect(a == b)
            #expect(a.hashValue == b.hashValue, "\(a.compactString) vs \(b.compactString)")
            #expect(Set([a, b]).count == 1)
        }
        #expect(Set<JSONValue>([1, 2, "1", true, nil, [], .object([])]).count == 7)
    }

    @Test func accessors() {
        let value: JSONValue = .object([("s", "x"), ("b", true), ("i", 3), ("d", .double(2.5)), ("a", [1]), ("o", .object([]))])
        #expect(value["s"]?.stringValue == "x")
        #expect(value["b"]?.boolValue == true)
        #expect(value["i"]?.intValue == 3)
        #expect(value["d"]?.intValue == nil)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue?.isEmpty == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["x"] == nil)
        #expect(value["s"]?.intValue == nil)
        // protobuf writes integral numbers as floats ("shard_size": 4.0).
        #expect(JSONValue.double(4.0).intValue == 4)
        #expect(JSONValue.double(1e300).intValue == nil)
    }
}
