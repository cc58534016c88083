import Testing

@testable import WardenScan

/// The chat-template reader splits templates byte for byte, as Jinja's lexer does.
@Suite struct ChatTemplateRulesTests {
    @Test(arguments: [
        ("plain text", [String]()),
        ("{{ a }}", [" a "]),
        ("{% if x %}y{% endif %}", [" if x ", " endif "]),
        ("{# note #}{{ b }}", [" b "]),
        ("{ {x} }{{ c }}", [" c "]),
        ("{{ unterminated", [" unterminated"]),
        ("{{", [""]),
        ("{{}", ["}"]),
        ("{", []),
        ("{%}{{ d }}%}", ["}{{ d }}"]),
        // A combining mark after the closing braces is still after them: the next block starts.
        ("{{ x }}\u{301}{{ ''.__class__ }}", [" x ", " ''.__class__ "]),
        ("{{ 'é' }}{{ 'ü' }}", [" 'é' ", " 'ü' "]),
    ])
    func blocksAreSplitByteForByte(template: String, expected: [String]) {
        #expect(ChatTemplateRules.blocks(of: template) == expected)
    }

    @Test(arguments: [
        ("abc", "b", true), ("abc", "abc", true), ("abc", "abcd", false), ("", "a", false),
        ("a~b", "~", true), ("joi", "join", false), ("xjoin", "join", true), ("e\u{301}", "e", true),
    ] as [(String, StaticString, Bool)])
    func containmentIsByteForByte(text: String, needle: StaticString, expected: Bool) {
        #expect(ChatTemplateRules.has(text, needle) == expected)
    }

    @Test func dunderReachesAreFoundAndOrdinaryTemplatesAreClean() {
        #expect(ChatTemplateRules.problems("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}").isEmpty)
        #expect(ChatTemplateRules.problems("{{ cycler.__init__.__globals__.os.popen('id').read() }}").contains { $0.severity == .critical })
        #expect(ChatTemplateRules.problems("{{ ''|attr('_'~'_class_'~'_') }}").contains { $0.construct == "attr" })
        #expect(ChatTemplateRules.problems("{{ '%c%c'|format(95, 95) }}").contains { $0.construct == "format" })
    }
}
