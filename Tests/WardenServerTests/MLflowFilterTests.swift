import Testing
import WardenCore

@testable import WardenServer

struct MLflowFilterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var filter: String
        var name: String
        var tags: [String: String]
        var matches: Bool
        var testDescription: String { filter }
    }

    static let cases: [Case] = [
        .init(filter: "name='fraud'", name: "fraud", tags: [:], matches: true),
        .init(filter: "name = \"fraud\"", name: "fraud", tags: [:], matches: true),
        .init(filter: "name='fraud'", name: "fraud2", tags: [:], matches: false),
        .init(filter: "name != 'fraud'", name: "iris", tags: [:], matches: true),
        .init(filter: "name LIKE 'fr%'", name: "fraud", tags: [:], matches: true),
        .init(filter: "name LIKE 'Fr%'", name: "fraud", tags: [:], matches: false),
        .init(filter: "name ILIKE 'Fr%'", name: "fraud", tags: [:], matches: true),
        .init(filter: "name like '%au_'", name: "fraud", tags: [:], matches: true),
        .init(filter: "name LIKE '%a%b%c'", name: "xaybzc", tags: [:], matches: true),
        .init(filter: "name LIKE '%a%b%c'", name: "xaybzcd", tags: [:], matches: false),
        // The client injects this one into every search_registered_models call.
        .init(filter: "tag.`mlflow.prompt.is_prompt` != 'true'", name: "fraud", tags: [:], matches: true),
        .init(filter: "tag.`mlflow.prompt.is_prompt` != 'true'", name: "p", tags: ["mlflow.prompt.is_prompt": "true"], matches: false),
        .init(filter: "tags.team = 'risk' AND name = 'fraud'", name: "fraud", tags: ["team": "risk"], matches: true),
        .init(filter: "tags.team = 'risk' and name = 'fraud'", name: "fraud", tags: ["team": "ops"], matches: false),
        .init(filter: "tag.\"my key\" = 'v'", name: "x", tags: ["my key": "v"], matches: true),
        .init(filter: "name IN ('a', 'fraud')", name: "fraud", tags: [:], matches: true),
        .init(filter: "name IN ('a', 'b')", name: "fraud", tags: [:], matches: false),
        .init(filter: "name = 'it\\'s'", name: "it's", tags: [:], matches: true),
        .init(filter: "", name: "anything", tags: [:], matches: true),
    ]

    @Test(arguments: cases) func matching(_ item: Case) throws {
        let filter = try MLflowFilter(parsing: item.filter)
        #expect(filter.matches(attributes: ["name": item.name], tags: item.tags) == item.matches)
    }

    @Test(arguments: [
        "name", "name =", "name = fraud", "name = 'unterminated", "owner = 'x'", "name = 'a' OR name = 'b'", "name ~ 'a'",
        "name IN 'a'", "name IN ('a'", "name = 'a' AND", "tag. = 'x'", "(name = 'a')",
    ])
    func malformedFiltersAreClearErrors(_ text: String) {
        #expect(throws: WardenError.self) { try MLflowFilter(parsing: text) }
    }

    @Test func hugeAndPathologicalInputIsBounded() throws {
        #expect(throws: WardenError.self) { try MLflowFilter(parsing: String(repeating: "name = 'a' AND ", count: 400) + "name = 'a'") }
        // Many % wildcards against a long non-matching string: linear-ish, not exponential.
        let pattern = String(repeating: "%a", count: 200) + "b"
        #expect(!MLflowFilter.like(String(repeating: "a", count: 2000), pattern, caseInsensitive: false))
    }
}
